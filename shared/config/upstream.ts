/** Google's Generative Language API: where egress goes unless GEMINI_UPSTREAM says otherwise. Kept free of imports so relay bundles stay small. */
export const defaultUpstream = "https://generativelanguage.googleapis.com";
