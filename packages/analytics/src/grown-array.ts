/** A copy of `a` in a longer array (the rest zero). @internal */
export function grownInt32(a: Int32Array<ArrayBuffer>, capacity: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(capacity);
  b.set(a);
  return b;
}

/** A copy of `a` in a longer array (the rest zero). @internal */
export function grownFloat64(a: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}
