// One place that knows the machine failed, and tells every part of the page that must act
// on it: the boot progress marks the step it was in, the inspector stops asking, the
// Machine panel says so, the blank terminal's boot screen says why. A part made after the
// failure (the page failed while it was still being built) hears of it at once. The first
// failure is the one reported; later ones are its consequences.
type Listener = (why: string) => void;

const listeners: Listener[] = [];
let failure: string | undefined;

export function onPageFailure(listener: Listener): void {
  listeners.push(listener);
  if (failure !== undefined) listener(failure);
}

export function reportPageFailure(why: string): void {
  if (failure !== undefined) return;
  failure = why;
  document.body.dataset.failed = "true";
  for (const listener of listeners) listener(why);
}
