// Where the page's guest images (and the instant shell's snapshot) are: images/ beside the page.
export function pageImagesUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}images/`, location.href).href;
}
