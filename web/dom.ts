// The page's two small DOM helpers, shared by main.ts and its panels.

/** The element with this id; the page's HTML and its code must agree, so a missing one is an error. */
export function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** A whole-number field's value in [min, max], or an error naming the field, the range and what was typed. */
export function readInteger(input: HTMLInputElement, what: string, min: number, max: number): number {
  const n = input.value.trim() === '' ? NaN : Number(input.value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be a whole number from ${min} to ${max}, not '${input.value}'`);
  return n;
}
