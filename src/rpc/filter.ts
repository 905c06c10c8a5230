// The request `filter` member, as Core Lightning implements it (common/json_filter.c, applied by
// common/json_stream.c as the result is written; doc/lightningd-rpc.7.md "FIELD FILTERING"):
// a template whose keys name the result fields to keep, `true` for a whole field, an object for
// some of its members, a one-element array for every element of an array:
//   {"transactions": [{"outputs": [{"amount_msat": true, "type": true}]}]}
// Fields the template does not name are left out; named fields that do not exist are ignored.
// A template that calls an array an object (or the reverse) leaves that part out and adds a
// `warning_parameter_filter` field to the result naming the first such place, in key order
// (`.fallbacks is an array`). A malformed template is a -32602 error before the command runs.
//
// One deliberate difference: in CLN, a field named with `true` (or `{}`) whose value is an
// object keeps that object's nested objects and arrays but drops its direct primitive members
// (json_filter_ok() looks the member up in the leaf's empty map), so `{"our_features": true}`
// gives `"our_features": {}`. Here `true` keeps the whole field, as the documentation says.
import { INVALID_PARAMS, RpcError } from './types.ts';

export interface JsonFilter {
  /** Kept members of an object (absent: not an object template). */
  members?: Map<string, JsonFilter>;
  /** The template for every element of an array (absent: not an array template). */
  elements?: JsonFilter;
  /** Set while filtering when the value was an array where an object was expected, or the reverse. */
  misused?: 'array' | 'object';
}

/** Bound on a template's nesting (results are never deeper); deeper is a bad filter, not a stack overflow. */
const MAX_FILTER_DEPTH = 100;

function badFilter(msg: string): RpcError {
  // common/json_command.c command_fail_badparam(), as lightningd answers outside developer mode.
  return new RpcError(INVALID_PARAMS, `filter: ${msg}: invalid token (see logs for details)`, { param: 'filter' });
}

/** lightningd/jsonrpc.c parse_filter() + build_filter(): the template, or a -32602 error. */
export function parseFilter(v: unknown): JsonFilter {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badFilter('Expected object');
  return build(v, 0);
}

function build(v: object, depth: number): JsonFilter {
  if (depth > MAX_FILTER_DEPTH) throw badFilter(`nested more than ${MAX_FILTER_DEPTH} deep`);
  if (Array.isArray(v)) {
    if (v.length !== 1) throw badFilter('Arrays can only have one element');
    const e: unknown = v[0];
    // CLN builds an element template from an object or array; any other element (`[true]`) is
    // a template that keeps whole elements.
    return { elements: typeof e === 'object' && e !== null ? build(e, depth + 1) : {} };
  }
  const members = new Map<string, JsonFilter>();
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val === 'object' && val !== null) members.set(k, build(val, depth + 1));
    else if (val === true) members.set(k, {});
    else throw badFilter('value must be true');
  }
  return { members };
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Uint8Array);
const isLeaf = (f: JsonFilter): boolean => f.elements === undefined && (f.members === undefined || f.members.size === 0);

function apply(value: unknown, f: JsonFilter): unknown {
  if (isLeaf(f) || !isContainer(value)) return value;
  if (Array.isArray(value)) {
    const el = f.elements;
    if (el === undefined) {
      // An object template on an array: CLN still writes its primitive elements (json_filter_ok
      // with no member name), but not its objects or arrays.
      const out: unknown[] = [];
      for (const x of value) {
        if (isContainer(x)) f.misused = 'array';
        else out.push(x);
      }
      return out;
    }
    return value.map((x) => (isContainer(x) ? apply(x, el) : x));
  }
  const out: Record<string, unknown> = {};
  const members = f.members;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (members === undefined) {
      // An array template on an object: nothing of it is kept.
      if (isContainer(v)) f.misused = 'object';
      continue;
    }
    const sub = members.get(k);
    if (sub !== undefined) out[k] = isContainer(v) ? apply(v, sub) : v;
  }
  return out;
}

/** common/json_filter.c json_filter_misused(): the first misuse, members in key order. */
function misuse(f: JsonFilter): string | undefined {
  if (f.misused) return ` is an ${f.misused}`;
  if (f.elements) {
    const r = misuse(f.elements);
    return r === undefined ? undefined : `[]${r}`;
  }
  if (f.members) {
    for (const k of [...f.members.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const r = misuse(f.members.get(k)!);
      if (r !== undefined) return `.${k}${r}`;
    }
  }
  return undefined;
}

/**
 * The result as the filter keeps it. Only an object result is filtered (every CLN result is one);
 * a misused template adds `warning_parameter_filter` at the end, as command_success() does.
 */
export function applyFilter(result: unknown, f: JsonFilter): unknown {
  if (!isContainer(result) || Array.isArray(result)) return result;
  const out = apply(result, f) as Record<string, unknown>;
  const warning = misuse(f);
  if (warning !== undefined) out['warning_parameter_filter'] = warning;
  return out;
}
