/**
 * The self-host's fetch for remote `image_url`s: node:http/https whose connections resolve names
 * through a lookup hook that refuses internal addresses. The check sits on the connection itself,
 * on the very addresses the socket will use, so a public-looking name that resolves to 127.0.0.1
 * (or rebinds to it between a check and the connect) is never reached. Host literals skip DNS;
 * shared/openai/remote-image.ts refuses internal ones before fetching.
 */
import dns, { type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { InternalAddressError, isInternalAddress } from "../../shared/net/internal-address.ts";
import { createNodeFetch } from "./http-fetch.ts";

/**
 * `dns.lookup`, but failing with InternalAddressError when any address the name has is internal
 * (a mixed answer is refused whole: the socket may try any of them).
 */
export const publicLookup: LookupFunction = (hostname, options, callback) => {
  // dns.lookup is read per call (not bound at import) so the system resolver is used as configured.
  dns.lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "");
    const internal = addresses.find((entry) => isInternalAddress(entry.address));
    if (internal || addresses.length === 0) return callback(new InternalAddressError(hostname, internal?.address ?? "no address"), "");
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    callback(null, first?.address ?? "", first?.family ?? 4);
  });
};

/** Connections for remote images: no keep-alive (one image per connection is the common case), the lookup hook on each. */
const agents = {
  "http:": new http.Agent({ lookup: publicLookup }),
  "https:": new https.Agent({ lookup: publicLookup }),
};

/** The remote-image fetch of the self-host (AppDependencies.imageFetch); never falls back to the global fetch. */
export const publicFetch: typeof fetch = createNodeFetch(agents, true);
