// Snapshots of the kernel's object graph, restored in place. Every object
// reachable from the roots (tasks, processes, queues, timers, files, the
// scheduler and random generators' state, ...) has its own properties,
// array items, map and set entries and typed-array bytes recorded; restoring
// writes them back into the same objects. Objects made after the snapshot
// become unreachable again; functions (the continuations of sleeping system
// calls, timer callbacks) keep their identity, and everything they capture
// is an object of the graph, restored with it. So a machine can run on,
// come back, and run again, any number of times.
//
// Objects the graph must not copy are marked opaque: the CPU, wasm-backed
// register files (the machine copies those itself), immutable inputs such as
// the program's bytes and parsed image.

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array | Float64Array;

type Record =
  | { kind: 'object'; o: object; props: [string, unknown][] }
  | { kind: 'array'; o: unknown[]; items: unknown[] }
  | { kind: 'map'; o: Map<unknown, unknown>; entries: [unknown, unknown][] }
  | { kind: 'set'; o: Set<unknown>; values: unknown[] }
  | { kind: 'typed'; o: TypedArray; bytes: TypedArray };

export interface GraphSnapshot {
  readonly records: readonly Record[];
  /** Objects recorded (for tests and cost reports). */
  readonly objects: number;
}

function isTyped(o: object): o is TypedArray {
  return ArrayBuffer.isView(o) && !(o instanceof DataView);
}

/** Records every object reachable from `roots`, except opaque ones. */
export function captureGraph(roots: readonly object[], opaque: (o: object) => boolean): GraphSnapshot {
  const seen = new Set<object>();
  const records: Record[] = [];
  const stack: object[] = [...roots];
  const visit = (v: unknown): void => {
    if (v !== null && typeof v === 'object' && !seen.has(v)) stack.push(v);
  };
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (seen.has(o)) continue;
    seen.add(o);
    if (opaque(o)) continue;
    if (Array.isArray(o)) {
      const items = o.slice();
      records.push({ kind: 'array', o, items });
      for (const x of items) visit(x);
    } else if (o instanceof Map) {
      const entries = [...o.entries()];
      records.push({ kind: 'map', o, entries });
      for (const [k, x] of entries) {
        visit(k);
        visit(x);
      }
    } else if (o instanceof Set) {
      const values = [...o.values()];
      records.push({ kind: 'set', o, values });
      for (const x of values) visit(x);
    } else if (isTyped(o)) {
      records.push({ kind: 'typed', o, bytes: o.slice() });
    } else if (o instanceof ArrayBuffer || o instanceof DataView || o instanceof WeakMap || o instanceof WeakSet || o instanceof Promise) {
      // Not state the kernel keeps in these forms; left as they are.
    } else {
      const props = Object.entries(o);
      records.push({ kind: 'object', o, props });
      for (const [, x] of props) visit(x);
    }
  }
  return { records, objects: records.length };
}

/** Writes every recorded state back into its object. */
export function restoreGraph(s: GraphSnapshot): void {
  for (const r of s.records) {
    switch (r.kind) {
      case 'object': {
        const o = r.o as { [k: string]: unknown };
        // Usually the same properties in the same order: then nothing to
        // delete (counted with for-in, which makes no array; an inherited
        // enumerable property would only send it the slow way).
        let same = true;
        let n = 0;
        for (const k in o) {
          if (n >= r.props.length || k !== r.props[n][0]) { same = false; break; }
          n++;
        }
        if (!same || n !== r.props.length) {
          const keep = new Set(r.props.map(([k]) => k));
          for (const k of Object.keys(o)) if (!keep.has(k)) delete o[k];
        }
        for (let i = 0; i < r.props.length; i++) o[r.props[i][0]] = r.props[i][1];
        break;
      }
      case 'array':
        r.o.length = r.items.length;
        for (let i = 0; i < r.items.length; i++) r.o[i] = r.items[i];
        break;
      case 'map':
        r.o.clear();
        for (const [k, v] of r.entries) r.o.set(k, v);
        break;
      case 'set':
        r.o.clear();
        for (const v of r.values) r.o.add(v);
        break;
      case 'typed':
        (r.o as Uint8Array).set(r.bytes as Uint8Array);
        break;
    }
  }
}
