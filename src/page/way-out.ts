// The ways out of a page that went wrong or that is not the usual boot: the plain page (no
// options, no share link: the bundled images, cold boot) from an error or a failed boot,
// and from the instant shell (?start=snapshot) back to the normal boot. Links, not
// buttons, so they can be opened in another tab and read before they are followed.

/** This page's address with no query and no fragment: the machine every reader gets first. */
export function plainPageUrl(): string {
  const url = new URL(location.href);
  url.search = "";
  url.hash = "";
  return url.href;
}

/** A link to the plain page, for an error panel or a boot report. */
export function plainPageLink(className: string): HTMLAnchorElement {
  const link = document.createElement("a");
  link.className = className;
  link.href = plainPageUrl();
  link.textContent = "Open the plain page";
  link.title = "This page with no options and no share link: the bundled kernel, booted from scratch";
  return link;
}

/** This address without ?start=snapshot: the same options, booted from scratch. */
export function normalBootUrl(): string {
  const url = new URL(location.href);
  url.searchParams.delete("start");
  return url.href;
}

/**
 * On the instant shell the header's "Instant shell" link becomes the way back: it leads to
 * the same page booted normally. It follows from the address, so a reload keeps it.
 */
export function offerWayBackFromInstantShell(link: HTMLAnchorElement): void {
  link.textContent = "Boot normally";
  link.href = normalBootUrl();
  link.title = "Leave the instant shell: boot this page's machine from scratch (its disk included, if it has one)";
  link.dataset.way = "back";
}
