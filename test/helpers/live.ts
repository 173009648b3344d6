/** Live API test clients: one text turn through @google/genai, and a raw upgrade's HTTP answer. */
import { GoogleGenAI, Modality } from "@google/genai";
import { WebSocket } from "ws";

/** Opens a Live session at `baseUrl` with `apiKey` (an access key or an ephemeral token), answers one text turn, closes; the answer's text. */
export async function liveTurn(baseUrl: string, apiKey: string, text: string, apiVersion?: string): Promise<string> {
  let answer = "";
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const session = await new GoogleGenAI({ apiKey, httpOptions: { baseUrl, ...(apiVersion ? { apiVersion } : {}) } }).live.connect({
    model: "gemini-2.5-flash",
    config: { responseModalities: [Modality.TEXT] },
    callbacks: {
      onmessage: (message) => {
        answer += (message.serverContent?.modelTurn?.parts ?? []).map((part) => part.text ?? "").join("");
        if (message.serverContent?.turnComplete) done();
      },
    },
  });
  session.sendClientContent({ turns: [{ role: "user", parts: [{ text }] }], turnComplete: true });
  await finished;
  session.close();
  return answer;
}

/** The HTTP answer to a Live upgrade with ephemeral token `token` at `baseUrl`: status 101 when the socket opened. */
export function tokenUpgrade(baseUrl: string, token: string): Promise<{ status: number; body: string }> {
  const url = `${baseUrl.replace(/^http/, "ws")}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=${encodeURIComponent(token)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("open", () => {
      socket.close();
      resolve({ status: 101, body: "" });
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once("error", reject);
  });
}
