// A toy barrel silicon tracker in a solenoid, simulated fast enough to score thousands of designs.
//
// Geometry: `layers` coaxial cylinders of silicon, equally spaced in radius from `innerRadius` to
// `outerRadius`, all `2 × halfLength` long, each `thickness` radiation lengths thick at normal incidence.
// The field B points along the beam (z), so a charged particle follows a helix: a circle of radius
// R = pT / (0.2998 B) in the transverse plane (R in m, pT in GeV, B in T) while z grows with the transverse
// path length s as z = s·sinh(η).
//
// Each particle is propagated layer by layer on that circle: where it crosses a layer it leaves a hit
// smeared in rφ by the sensor resolution, and its direction gets a multiple-scattering kick from the
// Highland formula for the material it crossed (more material when it crosses at a slant). A particle leaves
// the barrel when |z| passes the half-length, or never reaches a layer if it curls up inside it (2R < r).
// Energy loss and the longitudinal measurement are ignored; only the transverse momentum is studied.
//
// A particle with at least `minHits` hits is reconstructed: a least-squares circle through its hits and the
// beam spot (a measured point at the origin, as primary tracks are fitted), weighted by their covariance (the hit
// resolution, and the correlations scattering brings), gives the radius and so pT.
//
// Objectives of a design:
// - resolution: σ of (pT_rec − pT)/pT, half the width of the central 68.27 % of reconstructed tracks, which
//   is the Gaussian σ for a Gaussian core and is not pulled by the few badly measured tracks in the tails;
// - cost: silicon area times a price per m² (sensors and readout, plus support and cooling that cost more the
//   less material they are allowed to be);
// - acceptance: the fraction of generated particles that are reconstructed.

import { cholesky, solveLower } from "pando/optimize";
import { gaussian, mixSeed, mulberry32 } from "pando/optimize";

/** What the optimiser varies. Lengths in metres. */
export interface TrackerDesign {
  /** Number of barrel layers (a whole number, at least 2). */
  layers: number;
  innerRadius: number;
  outerRadius: number;
  /** Half the length of every layer along the beam. */
  halfLength: number;
  /** Material of one layer at normal incidence, in radiation lengths (x/X0). */
  thickness: number;
}

/** The fixed conditions every design is simulated under. */
export interface SimulationSettings {
  /** Particles generated per evaluation. */
  particles: number;
  /** Seed of the generated particles: one seed for all designs, so they are compared on the same particles. */
  seed: number;
  /** Solenoid field, T. */
  field: number;
  /** Hit resolution in rφ, m. */
  hitResolution: number;
  /** Transverse size (σ) of the luminous region, m: the vertex spread and the beam spot's error in the fit. */
  beamSpot: number;
  /** Hits a particle needs to be reconstructed. */
  minHits: number;
  /** Particles are generated uniformly in η within ±etaMax. */
  etaMax: number;
  /** Particles are generated uniformly in log pT between ptMin and ptMax, GeV. */
  ptMin: number;
  ptMax: number;
}

export const DEFAULT_SETTINGS: SimulationSettings = {
  particles: 10000,
  seed: 1,
  field: 2,
  hitResolution: 10e-6,
  beamSpot: 15e-6,
  minHits: 3,
  etaMax: 2,
  ptMin: 0.5,
  ptMax: 20,
};

export interface Performance {
  /** σ of (pT_rec − pT)/pT over reconstructed tracks; Infinity when fewer than two were reconstructed. */
  resolution: number;
  /** In cost units: one unit is one m² of layer at 1 % X0. */
  cost: number;
  /** Fraction of generated particles reconstructed. */
  acceptance: number;
  /** Number of reconstructed tracks. */
  reconstructed: number;
}

/** GeV per (T·m): pT = 0.2998 · B · R. */
const GEV_PER_TESLA_METRE = 0.299792458;
const PION_MASS = 0.13957;
/** Price of sensors and their readout per m² of layer, in cost units. */
const SENSOR_COST_PER_M2 = 0.6;
/** Price of support and cooling per m² for a layer of 1 % X0; lighter layers cost more, in inverse proportion. */
const SUPPORT_COST_PER_M2_AT_1_PERCENT = 0.4;

/** Radii of the layers, innermost first, equally spaced. */
export function layerRadii(design: TrackerDesign): number[] {
  const { layers, innerRadius, outerRadius } = design;
  const step = (outerRadius - innerRadius) / (layers - 1);
  return Array.from({ length: layers }, (_, i) => innerRadius + i * step);
}

export function checkDesign(design: TrackerDesign): void {
  const { layers, innerRadius, outerRadius, halfLength, thickness } = design;
  const problems: string[] = [];
  if (!Number.isInteger(layers) || layers < 2) problems.push(`layers must be a whole number of at least 2 (got ${layers})`);
  if (!(innerRadius > 0 && outerRadius > innerRadius)) {
    problems.push(`radii must satisfy 0 < innerRadius < outerRadius (got ${innerRadius} and ${outerRadius})`);
  }
  if (!(halfLength > 0)) problems.push(`halfLength must be positive (got ${halfLength})`);
  if (!(thickness > 0 && thickness < 1)) problems.push(`thickness must be a fraction of a radiation length in (0, 1) (got ${thickness})`);
  if (problems.length > 0) throw new RangeError(`invalid tracker design: ${problems.join("; ")}`);
}

/** Area of all layers × price per m²: lighter layers need thinner sensors and costlier mechanics and cooling. */
export function trackerCost(design: TrackerDesign): number {
  const area = layerRadii(design).reduce((sum, r) => sum + 2 * Math.PI * r * 2 * design.halfLength, 0);
  return area * (SENSOR_COST_PER_M2 + SUPPORT_COST_PER_M2_AT_1_PERCENT * (0.01 / design.thickness));
}

/**
 * Highland's formula (PDG): the r.m.s. of the projected scattering angle, in radians, of a singly charged
 * particle of momentum p (GeV) and velocity β after `radiationLengths` of material.
 */
export function highlandAngle(p: number, beta: number, radiationLengths: number): number {
  return (0.0136 / (beta * p)) * Math.sqrt(radiationLengths) * (1 + 0.038 * Math.log(radiationLengths / (beta * beta)));
}

/** A point on the track in the transverse plane, its direction angle, and its signed curvature (1/m, > 0 turns anticlockwise). */
interface TrackState {
  x: number;
  y: number;
  direction: number;
  curvature: number;
}

const TWO_PI = 2 * Math.PI;

/**
 * Moves the state along its circle to where it first crosses the cylinder of radius r (the state starts inside
 * it); returns the transverse path length travelled, or undefined when the circle never reaches r.
 */
function propagateToRadius(state: TrackState, r: number): number | undefined {
  const radius = 1 / Math.abs(state.curvature);
  const turn = Math.sign(state.curvature);
  const cx = state.x - Math.sin(state.direction) / state.curvature;
  const cy = state.y + Math.cos(state.direction) / state.curvature;
  const d = Math.hypot(cx, cy);
  // Two circles, centred at the origin (radius r) and at (cx, cy): their crossings lie at distance `along`
  // from the origin towards the centre, `across` either side of that line.
  const along = (r * r - radius * radius + d * d) / (2 * d);
  const across2 = r * r - along * along;
  if (!(across2 >= 0)) return undefined;
  const across = Math.sqrt(across2);
  const ux = cx / d;
  const uy = cy / d;
  const start = Math.atan2(state.y - cy, state.x - cx);
  const [one, other] = [1, -1].map((side) => {
    const x = along * ux - side * across * uy;
    const y = along * uy + side * across * ux;
    // Angle turned around the centre, in the direction of motion, to get there.
    const angle = (((turn * (Math.atan2(y - cy, x - cx) - start)) % TWO_PI) + TWO_PI) % TWO_PI;
    return { x, y, angle };
  }) as [{ x: number; y: number; angle: number }, { x: number; y: number; angle: number }];
  const best = one.angle <= other.angle ? one : other;
  state.x = best.x;
  state.y = best.y;
  state.direction += turn * best.angle;
  return best.angle * radius;
}

/**
 * Least-squares circle through points with correlated errors (an algebraic fit in the manner of Kåsa, made a
 * generalised least-squares one): minimises eᵀ V⁻¹ e for the residuals e = x² + y² + a x + b y + c, which are
 * linear in a, b, c. Near the circle each residual is 2R times the point's distance to it, the same factor
 * for every point, so with V the covariance of the points' positions this is the χ² fit of the circle.
 * Returns the radius, or NaN for a degenerate set.
 */
export function fitCircleRadius(xs: readonly number[], ys: readonly number[], covariance: number[][]): number {
  const l = cholesky(covariance, 0);
  // Whitened columns: L⁻¹ applied to the design matrix [x y 1] and to the target x² + y².
  const columns = [xs, ys, xs.map(() => 1)].map((column) => solveLower(l, [...column]));
  const target = solveLower(l, xs.map((x, i) => x * x + ys[i]! * ys[i]!));
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
  // Normal equations M [a b c]ᵀ = v.
  const m = columns.map((row) => columns.map((column) => dot(row, column)));
  const v = columns.map((column) => -dot(column, target));
  const solution = solve3(m, v);
  if (solution === undefined) return Number.NaN;
  const [a, b, c] = solution;
  return Math.sqrt((a * a + b * b) / 4 - c);
}

/**
 * Covariance of the fitted points (the beam spot first, then the hits from the inside out), in units of the hit
 * resolution squared. A scattering kick of r.m.s. angle θᵢ at layer i moves every later hit j by (rⱼ − rᵢ)·θᵢ, so
 * kicks correlate the hits outside them.
 */
export function pointCovariance(radii: readonly number[], kicks: readonly number[], hitResolution: number, beamSpot: number): number[][] {
  const n = radii.length + 1;
  const v = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  v[0]![0] = (beamSpot / hitResolution) ** 2;
  for (let j = 0; j < radii.length; j++) {
    for (let k = j; k < radii.length; k++) {
      let sum = j === k ? 1 : 0;
      for (let i = 0; i < j; i++) sum += ((radii[j]! - radii[i]!) * (radii[k]! - radii[i]!) * kicks[i]! ** 2) / hitResolution ** 2;
      v[j + 1]![k + 1] = sum;
      v[k + 1]![j + 1] = sum;
    }
  }
  return v;
}

/** Gaussian elimination with partial pivoting on a 3 × 3 system; undefined if it is singular. */
function solve3(m: number[][], v: number[]): [number, number, number] | undefined {
  const rows = m.map((row, i) => [...row, v[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    if (rows[pivot]![col] === 0) return undefined;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const p = rows[col]!;
    for (let r = col + 1; r < 3; r++) {
      const row = rows[r]!;
      const factor = row[col]! / p[col]!;
      for (let k = col; k < 4; k++) row[k]! -= factor * p[k]!;
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    const row = rows[r]!;
    let s = row[3]!;
    for (let k = r + 1; k < 3; k++) s -= row[k]! * x[k]!;
    x[r] = s / row[r]!;
  }
  return [x[0]!, x[1]!, x[2]!];
}

/** Half the width of the central 68.27 % of the values: σ for a Gaussian, robust against tails. */
export function centralSigma(values: readonly number[]): number {
  if (values.length < 2) return Number.POSITIVE_INFINITY;
  const sorted = [...values].sort((a, b) => a - b);
  const quantile = (q: number) => {
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
  };
  const tail = (1 - 0.6827) / 2;
  return (quantile(1 - tail) - quantile(tail)) / 2;
}

/** Simulates `settings.particles` particles through the design and measures its objectives. Deterministic for a seed. */
export function simulateTracker(design: TrackerDesign, settings: SimulationSettings = DEFAULT_SETTINGS): Performance {
  checkDesign(design);
  const radii = layerRadii(design);
  const residuals: number[] = [];
  for (let n = 0; n < settings.particles; n++) {
    // A stream per particle: each design sees the same particles with the same noise draws (common random numbers),
    // so differences between designs are not sampling noise.
    const random = mulberry32(mixSeed(settings.seed, n));
    const pt = settings.ptMin * (settings.ptMax / settings.ptMin) ** random();
    const eta = settings.etaMax * (2 * random() - 1);
    const charge = random() < 0.5 ? -1 : 1;
    const sinTheta = 1 / Math.cosh(eta);
    const p = pt * Math.cosh(eta);
    const beta = p / Math.hypot(p, PION_MASS);
    const state: TrackState = {
      x: settings.beamSpot * gaussian(random),
      y: settings.beamSpot * gaussian(random),
      direction: TWO_PI * random(),
      curvature: (charge * GEV_PER_TESLA_METRE * settings.field) / pt,
    };
    // The beam spot is the first point of the fit, at its nominal position.
    const xs = [0];
    const ys = [0];
    const hitRadii: number[] = [];
    // R.m.s. turn of the transverse direction at each layer crossed, as the fit's covariance needs it.
    const kicks: number[] = [];
    let path = 0;
    for (const r of radii) {
      const step = propagateToRadius(state, r);
      if (step === undefined) break;
      path += step;
      if (Math.abs(path * Math.sinh(eta)) > design.halfLength) break;
      const phi = Math.atan2(state.y, state.x);
      const measuredPhi = phi + (settings.hitResolution / r) * gaussian(random);
      xs.push(r * Math.cos(measuredPhi));
      ys.push(r * Math.sin(measuredPhi));
      hitRadii.push(r);
      // Material crossed: thicker along a slanted path, both along z (1/sinθ) and in the transverse plane.
      const radialCosine = Math.abs(Math.cos(state.direction - phi));
      const material = design.thickness / (sinTheta * Math.max(radialCosine, 0.05));
      // A kick of angle δ across the track in the bending plane turns its transverse direction by δ / sinθ.
      const kick = highlandAngle(p, beta, material) / sinTheta;
      kicks.push(kick);
      state.direction += kick * gaussian(random);
    }
    if (hitRadii.length < settings.minHits) continue;
    // The covariance is built from the generated momentum, as a fit iterated once on its own estimate would.
    const radius = fitCircleRadius(xs, ys, pointCovariance(hitRadii, kicks, settings.hitResolution, settings.beamSpot));
    if (!Number.isFinite(radius)) continue;
    residuals.push((GEV_PER_TESLA_METRE * settings.field * radius - pt) / pt);
  }
  return {
    resolution: centralSigma(residuals),
    cost: trackerCost(design),
    acceptance: residuals.length / settings.particles,
    reconstructed: residuals.length,
  };
}
