export class LabelError extends Error {
  override readonly name = 'LabelError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parse repeated `k=v` options. Keys are identifiers; values may hold anything after the first `=`. */
export function parseLabels(items: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new LabelError(`label "${item}" is not k=v (example: --label ref=v1.0.0)`);
    const key = item.slice(0, eq);
    if (!KEY.test(key)) {
      throw new LabelError(`label key "${key}" must start with a letter or _ and hold only letters, digits, _ . - (example: --label ref=v1.0.0)`);
    }
    if (key in labels) throw new LabelError(`label "${key}" is given twice (${key}=${labels[key]} and ${item}); give each key once`);
    labels[key] = item.slice(eq + 1);
  }
  return labels;
}
