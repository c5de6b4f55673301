// Saved state is plain data (it goes to a file and comes back, maybe from another build or
// a damaged file), so restoring reads it as `unknown` and checks every field before using
// it. A StateReader is a value and the path that leads to it: a bad field gives an Error
// that names it ("host network state: connections[0].sender.sndUna must be ...").

/** What saved state may contain: what JSON holds, plus byte arrays (kept aside when serialized). */
export type PlainData = null | boolean | number | string | Uint8Array | readonly PlainData[] | { readonly [key: string]: PlainData };

/** Compiles only when T is plain data (no undefined, Map, class instance, bigint or function). */
export type Plain<T extends PlainData> = T;

const MAX_DESCRIBED_CHARS = 40;

export class StateReader {
  constructor(
    private readonly value: unknown,
    /** Where the value is, e.g. "connections[0].sender". */
    readonly path: string,
    /** What the state is a state of, for the message. */
    private readonly subject = "host network state",
  ) {}

  /** Throws the Error that names this field. */
  fail(expected: string): never {
    throw new Error(`${this.subject}: ${this.path === "" ? "the state" : this.path} must be ${expected} (got ${describe(this.value)})`);
  }

  field(name: string): StateReader {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) this.fail("an object");
    const own = Object.prototype.hasOwnProperty.call(v, name) ? (v as Record<string, unknown>)[name] : undefined;
    return new StateReader(own, this.path === "" ? name : `${this.path}.${name}`, this.subject);
  }

  /**
   * Whether this object has a field `name` at all: a field added by a later build is missing
   * from states saved before it, and its reader may then take a default instead of failing.
   */
  has(name: string): boolean {
    const v = this.value;
    return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.prototype.hasOwnProperty.call(v, name);
  }

  /** Fails naming the first field of this object that is not one of `names` (strict formats refuse what they do not know). */
  onlyFields(names: readonly string[]): void {
    const v = this.value;
    if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) this.fail("an object");
    const extra = Object.keys(v).find((k) => !names.includes(k));
    if (extra !== undefined) this.field(extra).fail(`absent: ${this.path === "" ? "the object" : this.path} has the fields ${names.join(", ")}, and no others`);
  }

  /** The elements of an array of at most `maxLength` elements. */
  items(maxLength: number): StateReader[] {
    const v = this.value;
    if (!Array.isArray(v) || v.length > maxLength) this.fail(`an array of at most ${maxLength} elements`);
    return v.map((item: unknown, i) => new StateReader(item, `${this.path}[${i}]`, this.subject));
  }

  isNull(): boolean {
    return this.value === null;
  }

  /** For fields that are either a word or an object. */
  isString(): boolean {
    return typeof this.value === "string";
  }

  /** null, or what `read` makes of the value. */
  nullable<T>(read: (reader: StateReader) => T): T | null {
    return this.value === null ? null : read(this);
  }

  integer(min: number, max: number): number {
    const v = this.value;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) this.fail(`an integer from ${min} to ${max}`);
    return v;
  }

  uint32(): number {
    return this.integer(0, 0xffffffff);
  }

  /** A finite number from `min` to `max`. */
  number(min: number, max: number): number {
    const v = this.value;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) this.fail(`a number from ${min} to ${max}`);
    return v;
  }

  boolean(): boolean {
    const v = this.value;
    if (typeof v !== "boolean") this.fail("true or false");
    return v;
  }

  oneOf<T extends string>(values: readonly T[]): T {
    const v = this.value;
    if (typeof v !== "string" || !(values as readonly string[]).includes(v)) this.fail(`one of ${values.map((s) => JSON.stringify(s)).join(", ")}`);
    return v as T;
  }

  string(maxLength: number): string {
    const v = this.value;
    if (typeof v !== "string" || v.length > maxLength) this.fail(`a string of at most ${maxLength} characters`);
    return v;
  }

  /** A copy of a byte array of at most `maxLength` bytes (the caller may keep it; the state may be reused). */
  bytes(maxLength: number): Uint8Array {
    return this.view(maxLength).slice();
  }

  /**
   * A byte array of at most `maxLength` bytes as it lies in the state, not a copy: for
   * bytes that are only read, while the state is in hand (v86's part, 14 MB and more).
   */
  view(maxLength: number): Uint8Array {
    const v = this.value;
    if (!(v instanceof Uint8Array) || v.length > maxLength) this.fail(`a Uint8Array of at most ${maxLength} bytes`);
    return v;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object" && value !== null) return "an object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > MAX_DESCRIBED_CHARS ? `${text.slice(0, MAX_DESCRIBED_CHARS)}...` : text;
}
