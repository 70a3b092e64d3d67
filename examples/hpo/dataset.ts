// A toy collider search: is an event a narrow resonance decaying to two visible particles ("signal"),
// or one of two backgrounds? Kinematics are simulated (two-body decay, Lorentz boost, detector smearing)
// rather than drawn from independent per-feature distributions, so features are correlated the way real ones are.
//
// - signal: a 125-unit resonance with a soft transverse boost decays isotropically into two particles;
//   the pair mass peaks near 125 but resolution and a mis-measured fraction give it wide tails.
// - continuum background (most of it): two roughly back-to-back objects with steeply falling momenta, giving a
//   falling mass spectrum that still populates the peak region; objects are less isolated (fakes from jets).
// - top-like background: harder, more forward-spread objects plus genuine missing energy and extra jets.
//
// Every feature overlaps between classes, so the best achievable AUC is below 1 (about 0.9).

import { gaussian, mulberry32 } from "pando/optimize";

export interface Dataset {
  features: number[][];
  labels: number[];
  featureNames: string[];
}

const FEATURE_NAMES = [
  "mass", // invariant mass of the two leading objects
  "ptPair", // transverse momentum of the pair
  "pt1", // leading object transverse momentum
  "pt2", // subleading object transverse momentum
  "eta1", // leading object pseudorapidity
  "eta2", // subleading object pseudorapidity
  "deltaR", // angular separation sqrt(deta^2 + dphi^2)
  "met", // missing transverse energy
  "nJets", // number of additional jets
  "isolation", // summed activity around the objects (lower = more isolated)
  "pileup", // number of simultaneous collisions: carries no information, a distractor for the classifier
];

const RESONANCE_MASS = 125;
const PT_MIN = 20;
const ETA_MAX = 2.5;
// Preselection window on the pair mass, as an analysis would apply: the background left inside it is what overlaps the peak.
const MASS_WINDOW: [number, number] = [90, 170];

interface Particle {
  pt: number;
  eta: number;
  phi: number;
}

function exponential(rand: () => number, mean: number): number {
  return -mean * Math.log(1 - rand());
}

// Knuth's multiplication method; fine for the small means used here.
function poisson(rand: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function wrapPhi(phi: number): number {
  let x = phi;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x <= -Math.PI) x += 2 * Math.PI;
  return x;
}

/** Massless resonance decay products in the lab frame, or undefined if either falls outside the acceptance. */
function resonanceDecay(rand: () => number): [Particle, Particle] | undefined {
  const mass = RESONANCE_MASS;
  // Soft production boost (sum of two exponentials peaks away from zero, like gluon-fusion spectra).
  const pt = exponential(rand, 18) + exponential(rand, 18);
  const rapidity = 1.3 * gaussian(rand);
  const phi = 2 * Math.PI * rand();
  const mt = Math.sqrt(mass * mass + pt * pt);
  const energy = mt * Math.cosh(rapidity);
  const bx = (pt * Math.cos(phi)) / energy;
  const by = (pt * Math.sin(phi)) / energy;
  const bz = (mt * Math.sinh(rapidity)) / energy;
  const b2 = bx * bx + by * by + bz * bz;
  const gamma = energy / mass;

  // Isotropic decay in the rest frame (spin-0 parent).
  const cosTheta = 2 * rand() - 1;
  const sinTheta = Math.sqrt(1 - cosTheta * cosTheta);
  const decayPhi = 2 * Math.PI * rand();
  const p = mass / 2;
  const out: Particle[] = [];
  for (const sign of [1, -1]) {
    const qx = sign * p * sinTheta * Math.cos(decayPhi);
    const qy = sign * p * sinTheta * Math.sin(decayPhi);
    const qz = sign * p * cosTheta;
    const bq = bx * qx + by * qy + bz * qz;
    // General Lorentz boost of (p, q) by velocity b.
    const factor = b2 > 0 ? ((gamma - 1) * bq) / b2 + gamma * p : 0;
    const lx = qx + factor * bx;
    const ly = qy + factor * by;
    const lz = qz + factor * bz;
    const lpt = Math.hypot(lx, ly);
    out.push({ pt: lpt, eta: Math.asinh(lz / lpt), phi: Math.atan2(ly, lx) });
  }
  return accept(out[0]!, out[1]!);
}

/** Two objects from a falling spectrum, roughly back to back; `hardness` scales momenta, `spread` the rapidities. */
function continuumPair(rand: () => number, hardness: number, spread: number): [Particle, Particle] | undefined {
  const phi1 = 2 * Math.PI * rand();
  const a: Particle = { pt: PT_MIN + exponential(rand, hardness), eta: spread * gaussian(rand), phi: phi1 };
  const b: Particle = {
    pt: PT_MIN + exponential(rand, hardness),
    eta: spread * gaussian(rand),
    phi: wrapPhi(phi1 + Math.PI + 0.6 * gaussian(rand)),
  };
  return accept(a, b);
}

/** Orders by pt and applies the detector acceptance. */
function accept(a: Particle, b: Particle): [Particle, Particle] | undefined {
  for (const x of [a, b]) if (x.pt < PT_MIN || Math.abs(x.eta) > ETA_MAX) return undefined;
  return a.pt >= b.pt ? [a, b] : [b, a];
}

/**
 * Detector response: momentum resolution that is good in the central barrel and degrades forward, plus occasional badly
 * mis-measured objects (the tails). The signal mass peak is therefore narrow or wide depending on the objects' eta.
 */
function smear(rand: () => number, x: Particle): Particle {
  const absEta = Math.abs(x.eta);
  const resolution = absEta < 1 ? 0.02 : absEta < 1.7 ? 0.07 : 0.14;
  let scale = 1 + resolution * gaussian(rand);
  if (rand() < 0.1) scale *= 0.7 + 0.25 * rand();
  return { pt: x.pt * Math.max(0.05, scale), eta: x.eta + 0.01 * gaussian(rand), phi: wrapPhi(x.phi + 0.01 * gaussian(rand)) };
}

function pairMass(a: Particle, b: Particle): number {
  const m2 = 2 * a.pt * b.pt * (Math.cosh(a.eta - b.eta) - Math.cos(a.phi - b.phi));
  return Math.sqrt(Math.max(0, m2));
}

function makeEvent(rand: () => number, signal: boolean): number[] {
  let kind: "signal" | "continuum" | "top" = "signal";
  if (!signal) kind = rand() < 0.25 ? "top" : "continuum";
  let pair: [Particle, Particle] | undefined;
  // Rejection sampling: regenerate until both smeared objects pass the acceptance and the pair the mass window.
  for (;;) {
    if (kind === "signal") pair = resonanceDecay(rand);
    else if (kind === "continuum") pair = continuumPair(rand, 32, 1.1);
    else pair = continuumPair(rand, 55, 1.4);
    if (pair === undefined) continue;
    pair = accept(smear(rand, pair[0]), smear(rand, pair[1]));
    if (pair === undefined) continue;
    const mass = pairMass(pair[0], pair[1]);
    if (mass >= MASS_WINDOW[0] && mass <= MASS_WINDOW[1]) break;
  }
  const [a, b] = pair;
  const px = a.pt * Math.cos(a.phi) + b.pt * Math.cos(b.phi);
  const py = a.pt * Math.sin(a.phi) + b.pt * Math.sin(b.phi);
  const dPhi = wrapPhi(a.phi - b.phi);
  // Missing energy: resolution everywhere, plus a genuine invisible particle in top-like events.
  let metX = 9 * gaussian(rand);
  let metY = 9 * gaussian(rand);
  if (kind === "top") {
    const nuPt = exponential(rand, 45);
    const nuPhi = 2 * Math.PI * rand();
    metX += nuPt * Math.cos(nuPhi);
    metY += nuPt * Math.sin(nuPhi);
  }
  const jetMean = kind === "signal" ? 1 : kind === "continuum" ? 1.3 : 2.5;
  const isolationMean = kind === "signal" ? 2.5 : kind === "continuum" ? 3.5 : 4;
  return [
    pairMass(a, b),
    Math.hypot(px, py),
    a.pt,
    b.pt,
    a.eta,
    b.eta,
    Math.hypot(a.eta - b.eta, dPhi),
    Math.hypot(metX, metY),
    poisson(rand, jetMean),
    exponential(rand, isolationMean),
    poisson(rand, 30),
  ];
}

/**
 * `n` events, exactly round(n * signalFraction) of them signal (default half), in shuffled order.
 * The same options always give the same dataset.
 */
export function makeDataset(options: { n: number; seed: number; signalFraction?: number }): Dataset {
  const { n, seed } = options;
  const signalFraction = options.signalFraction ?? 0.5;
  if (!Number.isInteger(n) || n < 0) throw new Error(`makeDataset: n must be a non-negative integer, got ${n}`);
  if (!(signalFraction >= 0 && signalFraction <= 1)) {
    throw new Error(`makeDataset: signalFraction must be in [0, 1], got ${signalFraction}`);
  }
  const rand = mulberry32(seed);
  const nSignal = Math.round(n * signalFraction);
  // Labels first, shuffled, so class counts are exact rather than binomially noisy.
  const labels: number[] = [];
  for (let i = 0; i < n; i++) labels.push(i < nSignal ? 1 : 0);
  shuffleInPlace(labels, rand);
  const features = labels.map((label) => makeEvent(rand, label === 1));
  return { features, labels, featureNames: [...FEATURE_NAMES] };
}

function shuffleInPlace<T>(items: T[], rand: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/**
 * Stratified random split: each class contributes round(count * validationFraction) events to validation,
 * so a small validation set keeps the class balance and its AUC stays comparable across seeds.
 */
export function splitDataset(
  data: Dataset,
  validationFraction: number,
  seed: number,
): { train: Dataset; validation: Dataset } {
  if (!(validationFraction >= 0 && validationFraction <= 1)) {
    throw new Error(`splitDataset: validationFraction must be in [0, 1], got ${validationFraction}`);
  }
  for (const label of data.labels) {
    if (label !== 0 && label !== 1) throw new Error(`splitDataset: labels must be 0 or 1, got ${label}`);
  }
  const rand = mulberry32(seed);
  const validationIndex: number[] = [];
  const trainIndex: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    data.labels.forEach((label, i) => {
      if (label === cls) members.push(i);
    });
    shuffleInPlace(members, rand);
    const nValidation = Math.round(members.length * validationFraction);
    validationIndex.push(...members.slice(0, nValidation));
    trainIndex.push(...members.slice(nValidation));
  }
  // Back to the original relative order, so neither part is sorted by class.
  validationIndex.sort((x, y) => x - y);
  trainIndex.sort((x, y) => x - y);
  const pick = (index: number[]): Dataset => ({
    features: index.map((i) => [...data.features[i]!]),
    labels: index.map((i) => data.labels[i]!),
    featureNames: [...data.featureNames],
  });
  return { train: pick(trainIndex), validation: pick(validationIndex) };
}
