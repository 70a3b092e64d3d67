// The area under the ROC curve: how well a score ranks signal above background, whatever its scale.

/**
 * What the study optimises and the works declare: the `auc` field of each job's result, the higher the
 * better (the monitor plots it in that direction).
 */
export const OBJECTIVE = { name: "auc", direction: "maximize" } as const;

/**
 * ROC AUC as the Mann-Whitney statistic: the probability a random positive outscores a random negative,
 * ties counting one half (via average ranks). A constant scorer gives 0.5; NaN if either class is absent.
 */
export function auc(scores: number[], labels: number[]): number {
  if (scores.length !== labels.length) {
    throw new Error(`auc: ${scores.length} scores but ${labels.length} labels`);
  }
  for (const s of scores) if (Number.isNaN(s)) throw new Error("auc: NaN score");
  // Explicit comparison rather than subtraction: Infinity - Infinity would be NaN.
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a]! < scores[b]! ? -1 : scores[a]! > scores[b]! ? 1 : 0));
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    // Ranks i+1 .. j+1 are tied; each gets their average.
    const averageRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
