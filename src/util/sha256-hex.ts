// SHA-256 of some bytes as lowercase hex (the form images/SHA256SUMS and the shipped
// snapshot's record use), by the platform's own digest: the browser's and Node's alike.

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
