// An element that takes one file dropped on it: the drag is accepted only when it carries
// files (text or a link dropped on the page stays the browser's), the element is marked
// .drop-target while a file hovers over it, and the first dropped file goes to `take`.
// `inner` targets (a line inside a panel that is itself a target) keep the drop to
// themselves.

export interface FileDropOptions {
  /** Called when a file drag enters (e.g. to open the panel it will land in). */
  onHover?: () => void;
  /** Stop the drag from reaching an enclosing target too. */
  inner?: boolean;
}

export function acceptFileDrops(element: HTMLElement, take: (file: File) => void, options: FileDropOptions = {}): void {
  const hover = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    if (options.inner === true) event.stopPropagation();
    event.dataTransfer.dropEffect = "copy";
    options.onHover?.();
    element.classList.add("drop-target");
  };
  element.addEventListener("dragenter", hover);
  element.addEventListener("dragover", hover);
  element.addEventListener("dragleave", () => element.classList.remove("drop-target"));
  element.addEventListener("drop", (event) => {
    event.preventDefault();
    if (options.inner === true) event.stopPropagation();
    element.classList.remove("drop-target");
    const file = event.dataTransfer?.files[0];
    if (file) take(file);
  });
}
