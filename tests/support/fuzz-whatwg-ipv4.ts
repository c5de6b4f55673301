// The WHATWG URL Standard's IPv4 host rules, for the share fuzzer's reference: a host whose
// last dot-separated part is a number is an IPv4 address in one of the forms the standard
// allows (1 to 4 parts, each decimal, 0-led octal or 0x hex, the last filling the bytes
// left), so "127.000.1" and "0x7f.1" are 127.0.0.1, and one that does not parse makes the
// URL invalid. Written from the standard's steps, not from the decoder under test.

/** The standard's "IPv4 number parser": a part's value, or undefined on failure. */
function ipv4Number(part: string): bigint | undefined {
  if (part === "") return undefined;
  let digits = part;
  let radix = 10;
  if (digits.length >= 2 && (digits.startsWith("0x") || digits.startsWith("0X"))) {
    digits = digits.slice(2);
    radix = 16;
  } else if (digits.length >= 2 && digits.startsWith("0")) {
    digits = digits.slice(1);
    radix = 8;
  }
  if (digits === "") return 0n;
  const allowed = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!allowed.test(digits)) return undefined;
  return BigInt(radix === 16 ? `0x${digits}` : radix === 8 ? `0o${digits}` : digits);
}

/** The standard's "ends in a number checker". */
function endsInANumber(host: string): boolean {
  const parts = host.split(".");
  if (parts.at(-1) === "") {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts.at(-1)!;
  if (/^[0-9]+$/.test(last)) return true;
  return ipv4Number(last) !== undefined;
}

/**
 * For a host (without port, lowercased): undefined when it is no IPv4 address (a domain),
 * "invalid" when it is one that does not parse (the URL is refused), else the address.
 */
export function whatwgIpv4(host: string): number | "invalid" | undefined {
  if (!endsInANumber(host)) return undefined;
  const parts = host.split(".");
  if (parts.at(-1) === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return "invalid";
  const numbers: bigint[] = [];
  for (const part of parts) {
    const n = ipv4Number(part);
    if (n === undefined) return "invalid";
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255n)) return "invalid";
  if (last >= 256n ** BigInt(5 - (numbers.length + 1))) return "invalid";
  let address = last;
  numbers.forEach((n, i) => (address += n * 256n ** BigInt(3 - i)));
  return Number(address);
}
