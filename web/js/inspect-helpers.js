// Pure helpers of the Inspect panel (tested with node --test).

/** The largest off-diagonal count of a 10x10 confusion matrix (counts row by row). */
export function largestMistakeCount(counts) {
  let max = 0;
  for (let i = 0; i < 100; i++) if (Math.floor(i / 10) !== i % 10) max = Math.max(max, counts[i]);
  return max;
}

/** Indices of the digits that are `r` and were predicted `c`. */
export function cellIndices(labels, predicted, r, c) {
  const indices = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === r && predicted[i] === c) indices.push(i);
  return indices;
}

/** Columns and rows of tiles for `units` weight images: a little wider than square. */
export function weightsGrid(units) {
  const columns = Math.min(units, Math.max(4, Math.ceil(Math.sqrt(units * 1.6))));
  return { columns, rows: Math.ceil(units / columns) };
}
