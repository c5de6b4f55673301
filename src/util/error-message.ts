// What a caught value says, for a message to a person. `catch` hands over `unknown`: an
// Error (the usual case), or anything a library or a guest-facing callback threw.

/** An Error's message; anything else as String() renders it. */
export function errorMessage(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}
