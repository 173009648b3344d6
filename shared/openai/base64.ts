/** Base64 with Web APIs only (`btoa` works on binary strings; shared/ has no Buffer). */

/** Standard base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let base64 = "";
  // Chunks keep String.fromCharCode's argument list short; 3-byte multiples need no padding between them.
  const chunkSize = 3 * 8_192;
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    base64 += btoa(String.fromCharCode(...bytes.subarray(offset, offset + chunkSize)));
  }
  return base64;
}

/** Base64 of `values` as little-endian float32, the form of OpenAI's `encoding_format: "base64"`. */
export function float32ToBase64(values: readonly number[]): string {
  const floats = new Float32Array(values.length);
  const view = new DataView(floats.buffer);
  values.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return bytesToBase64(new Uint8Array(floats.buffer));
}
