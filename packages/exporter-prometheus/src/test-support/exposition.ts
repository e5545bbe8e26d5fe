/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: `# TYPE` per metric family and every sample. */
export interface Exposition {
  types: Record<string, string>;
  help: Record<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

/** Parses the Prometheus text exposition format (0.0.4), strictly: a malformed line throws. */
export function parseExposition(text: string): Exposition {
  const out: Exposition = { types: {}, help: {}, samples: [] };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line === '# EOF') continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      out.types[name!] = type!;
      continue;
    }
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const space = rest.indexOf(' ');
      out.help[rest.slice(0, space)] = rest.slice(space + 1);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`malformed exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const l = LABEL.exec(body);
      if (l === null) throw new Error(`malformed labels: ${body}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`malformed value: ${line}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels`; throws if there is not exactly one. */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const hits = exposition.samples.filter(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length >= Object.keys(labels).length,
  );
  const exact = hits.filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  const pick = exact.length === 1 ? exact : hits;
  if (pick.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${pick.length}`);
  return pick[0]!.value;
}
