// The share link's fragment: `#demo=2.<base64url>`, where 2 is the format's version and
// the data is the link's content (share-content.ts: a machine, kernel parameters, a script
// and a panel) as JSON, compressed with deflate-raw. Version 1 (`#demo=1.`, the page's
// options as a configuration, share-config.ts) is still read, as the machine those options
// build. The fragment never reaches a server, and everything in it is checked before the
// page acts on it.
//
// Limits: the fragment after "#" at most 8 KiB, the inflated JSON at most 16 KiB (a valid
// content is far smaller: its largest field, the script, is at most 4 KiB, and a machine of
// eight devices about 1 KiB).
import { fromBase64Url, deflateRaw, inflateRawAtMost, toBase64Url } from "./share-bytes.js";
import { checkShareConfig, quote, ShareLinkError } from "./share-config.js";
import { checkShareContent, contentFromConfig, type ShareContent } from "./share-content.js";

export const SHARE_VERSION = 2;
/** Versions this page reads: version 1 links stay valid. */
export const READ_VERSIONS = ["1", "2"];
export const FRAGMENT_KEY = "demo";
export const MAX_FRAGMENT_CHARS = 8 * 1024;
export const MAX_JSON_BYTES = 16 * 1024;

/** Whether a URL fragment (with or without its "#") claims to be a share link. */
export function isShareFragment(hash: string): boolean {
  return hash.replace(/^#/, "").startsWith(`${FRAGMENT_KEY}=`);
}

/** The version-2 fragment (without "#") for `content`; a ShareLinkError when the content is not acceptable. */
export async function encodeShareFragment(content: ShareContent): Promise<string> {
  // Checked objects are built in one fixed field order, so equal contents give equal links.
  const checked = checkShareContent(content);
  const compressed = await deflateRaw(new TextEncoder().encode(JSON.stringify(checked)));
  const fragment = `${FRAGMENT_KEY}=${SHARE_VERSION}.${toBase64Url(compressed)}`;
  if (fragment.length > MAX_FRAGMENT_CHARS) {
    throw new ShareLinkError(`the link would be ${fragment.length} characters long; at most ${MAX_FRAGMENT_CHARS} are allowed`);
  }
  return fragment;
}

/** `base` (a page URL) with its query and fragment replaced by the share link's fragment. */
export async function shareUrl(base: string, content: ShareContent): Promise<string> {
  const url = new URL(base);
  // Query options (?net etc.) would be overridden by the link anyway: leave them out.
  url.search = "";
  url.hash = await encodeShareFragment(content);
  return url.href;
}

/**
 * The content a fragment carries (a version-1 link's as its machine); null when the
 * fragment is not a share link at all (no "demo="). Anything else wrong throws a
 * ShareLinkError that says what.
 */
export async function decodeShareFragment(hash: string): Promise<ShareContent | null> {
  const fragment = hash.replace(/^#/, "");
  // Asked of `hash`, not `fragment`: stripping "#" twice made "##demo=..." a link that
  // could never decode (found by the share-link fuzzer).
  if (!isShareFragment(hash)) return null;
  if (fragment.length > MAX_FRAGMENT_CHARS) {
    throw new ShareLinkError(`the link is too long: ${fragment.length} characters after "#", at most ${MAX_FRAGMENT_CHARS} are allowed`);
  }
  const body = fragment.slice(FRAGMENT_KEY.length + 1);
  const match = /^(\d{1,6})\.(.*)$/s.exec(body);
  if (!match) throw new ShareLinkError(`the link has no version: it should read #${FRAGMENT_KEY}=${SHARE_VERSION}.<data>`);
  const version = match[1] ?? "";
  if (!READ_VERSIONS.includes(version)) {
    throw new ShareLinkError(`the link's format is version ${version}; this page reads versions ${READ_VERSIONS.join(" and ")}`);
  }
  const compressed = fromBase64Url(match[2] ?? "");
  const json = await inflateRawAtMost(compressed, MAX_JSON_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch {
    throw new ShareLinkError("the link's data is not UTF-8 text");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ShareLinkError(`the link's data is not JSON: it starts ${quote(text.slice(0, 40))}`);
  }
  return version === "1" ? contentFromConfig(checkShareConfig(value)) : checkShareContent(value);
}
