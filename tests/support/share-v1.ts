// Version-1 share links as pages before version 2 wrote them (`#demo=1.`, the page's options
// as a configuration, fields in SHARE_FIELDS order), so tests can check that such links
// still open. The page itself writes only version 2 now.
import { deflateRaw, toBase64Url } from "../../src/share/share-bytes.js";
import { checkShareConfig, SHARE_FIELDS, type ShareConfig } from "../../src/share/share-config.js";

/** The fragment (without "#") an older page's Share button gave for `config`. */
export async function version1Fragment(config: ShareConfig): Promise<string> {
  const checked = checkShareConfig(config);
  const ordered = Object.fromEntries(SHARE_FIELDS.map((k) => [k, checked[k]]));
  return `demo=1.${toBase64Url(await deflateRaw(new TextEncoder().encode(JSON.stringify(ordered))))}`;
}
