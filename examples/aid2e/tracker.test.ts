import { describe, expect, it } from "vitest";
import { gaussian, mulberry32 } from "pando/optimize";
import {
  DEFAULT_SETTINGS,
  centralSigma,
  checkDesign,
  fitCircleRadius,
  highlandAngle,
  layerRadii,
  pointCovariance,
  simulateTracker,
  trackerCost,
  type SimulationSettings,
  type TrackerDesign,
} from "./tracker.js";

const BASE: TrackerDesign = { layers: 5, innerRadius: 0.05, outerRadius: 0.5, halfLength: 1, thickness: 0.01 };

/** Stiff central tracks through nearly massless layers: the hit resolution decides. */
const MEASUREMENT_LIMITED: SimulationSettings = {
  ...DEFAULT_SETTINGS,
  particles: 4000,
  ptMin: 10,
  ptMax: 10,
  etaMax: 0.01,
  // A beam spot of 1 mm barely constrains the fit, as the textbook formula assumes.
  beamSpot: 1e-3,
};

describe("simulateTracker", () => {
  it("gives the same result for the same seed, and another for another seed", () => {
    const settings = { ...DEFAULT_SETTINGS, particles: 2000 };
    expect(simulateTracker(BASE, settings)).toEqual(simulateTracker(BASE, settings));
    expect(simulateTracker(BASE, { ...settings, seed: 2 }).resolution).not.toBe(simulateTracker(BASE, settings).resolution);
  });

  it("matches Gluckstern's formula when the hit resolution dominates", () => {
    const thin = { ...BASE, thickness: 1e-6 };
    for (const layers of [3, 5, 8]) {
      const lever = BASE.outerRadius - BASE.innerRadius;
      const { hitResolution, field, ptMin } = MEASUREMENT_LIMITED;
      // σ(pT)/pT = σ · pT / (0.3 B L²) · √(720 / (N + 4)) for N equally spaced points over a lever arm L.
      const expected = ((hitResolution * ptMin) / (0.299792458 * field * lever ** 2)) * Math.sqrt(720 / (layers + 4));
      const measured = simulateTracker({ ...thin, layers }, MEASUREMENT_LIMITED).resolution;
      expect(Math.abs(measured / expected - 1)).toBeLessThan(0.1);
    }
  });

  it("improves with more layers and with finer hits when the hit resolution dominates", () => {
    const thin = { ...BASE, thickness: 1e-4 };
    const resolution = (design: TrackerDesign, hitResolution = MEASUREMENT_LIMITED.hitResolution) =>
      simulateTracker(design, { ...MEASUREMENT_LIMITED, hitResolution }).resolution;
    expect(resolution({ ...thin, layers: 8 })).toBeLessThan(resolution({ ...thin, layers: 5 }));
    expect(resolution({ ...thin, layers: 5 })).toBeLessThan(resolution({ ...thin, layers: 3 }));
    expect(resolution(thin, 5e-6)).toBeLessThan(resolution(thin, 10e-6));
    expect(resolution(thin, 10e-6)).toBeLessThan(resolution(thin, 30e-6));
    // A longer lever arm too.
    expect(resolution({ ...thin, outerRadius: 0.8 })).toBeLessThan(resolution(thin));
  });

  it("worsens with material when multiple scattering dominates, and more so at low momentum", () => {
    const soft: SimulationSettings = { ...DEFAULT_SETTINGS, particles: 4000, ptMin: 1, ptMax: 1 };
    const at = (thickness: number, settings = soft) => simulateTracker({ ...BASE, thickness }, settings).resolution;
    expect(at(0.03)).toBeGreaterThan(at(0.01));
    expect(at(0.01)).toBeGreaterThan(at(0.003));
    // Scattering-limited resolution scales as Highland's angle does with the material (about √3 for three times as much).
    const expected = highlandAngle(1, 1, 0.03) / highlandAngle(1, 1, 0.01);
    expect(Math.abs(at(0.03) / at(0.01) / expected - 1)).toBeLessThan(0.1);
    // At 20 GeV the same material matters much less.
    const hard = { ...soft, ptMin: 20, ptMax: 20 };
    expect(at(0.03, hard) / at(0.01, hard)).toBeLessThan(at(0.03) / at(0.01));
  });

  it("accepts particles whose third layer lies within the barrel", () => {
    const settings = { ...DEFAULT_SETTINGS, particles: 4000 };
    expect(simulateTracker({ ...BASE, halfLength: 1.5 }, settings).acceptance).toBe(1);
    // Stiff tracks reach the third layer (r₃ = 0.275 m) inside the barrel when sinh|η| < L / r₃.
    const short = simulateTracker({ ...BASE, halfLength: 0.3 }, settings);
    expect(short.acceptance).toBeCloseTo(Math.asinh(0.3 / 0.275) / settings.etaMax, 1);
    expect(short.reconstructed).toBe(Math.round(short.acceptance * settings.particles));
  });

  it("loses particles that curl up before their third layer", () => {
    // At 0.2 GeV in 2 T a track's circle has a diameter of 0.67 m, inside the third layer at 0.8 m.
    const curling = { ...DEFAULT_SETTINGS, particles: 500, ptMin: 0.2, ptMax: 0.2 };
    const design = { ...BASE, layers: 3, innerRadius: 0.1, outerRadius: 0.8, halfLength: 5 };
    const result = simulateTracker(design, curling);
    expect(result.acceptance).toBe(0);
    expect(result.resolution).toBe(Infinity);
    expect(simulateTracker({ ...design, outerRadius: 0.6 }, curling).acceptance).toBe(1);
  });
});

describe("trackerCost", () => {
  it("is the layers' area times the price per m²", () => {
    // Two layers at 0.1 and 0.2 m, 1 m long: 2π × 0.3 m² at 1 unit per m² (1 % X0).
    expect(trackerCost({ layers: 2, innerRadius: 0.1, outerRadius: 0.2, halfLength: 0.5, thickness: 0.01 })).toBeCloseTo(2 * Math.PI * 0.3, 12);
  });

  it("grows with radius, length and layers, and with lighter layers", () => {
    expect(trackerCost({ ...BASE, outerRadius: 0.6 })).toBeGreaterThan(trackerCost(BASE));
    expect(trackerCost({ ...BASE, innerRadius: 0.1 })).toBeGreaterThan(trackerCost(BASE));
    expect(trackerCost({ ...BASE, halfLength: 1.2 })).toBeGreaterThan(trackerCost(BASE));
    expect(trackerCost({ ...BASE, layers: 6 })).toBeGreaterThan(trackerCost(BASE));
    expect(trackerCost({ ...BASE, thickness: 0.005 })).toBeGreaterThan(trackerCost(BASE));
  });
});

describe("pieces of the simulation", () => {
  it("spaces layers equally", () => {
    expect(layerRadii({ ...BASE, layers: 4, innerRadius: 0.1, outerRadius: 0.4 }).map((r) => +r.toFixed(12))).toEqual([0.1, 0.2, 0.3, 0.4]);
  });

  it("computes Highland's angle", () => {
    // 1 GeV, β = 1, 1 % X0: 13.6 mrad × 0.1 × (1 + 0.038 ln 0.01).
    expect(highlandAngle(1, 1, 0.01)).toBeCloseTo(0.0136 * 0.1 * (1 + 0.038 * Math.log(0.01)), 15);
    expect(highlandAngle(2, 1, 0.01)).toBeCloseTo(highlandAngle(1, 1, 0.01) / 2, 15);
  });

  it("fits the radius of points on a circle exactly, and of noisy points closely", () => {
    const radius = 3;
    const angles = [0.1, 0.2, 0.35, 0.5, 0.6];
    const xs = angles.map((a) => 1 + radius * Math.cos(a));
    const ys = angles.map((a) => -2 + radius * Math.sin(a));
    const identity = angles.map((_, i) => angles.map((__, j) => (i === j ? 1 : 0)));
    expect(fitCircleRadius(xs, ys, identity)).toBeCloseTo(radius, 10);
    const random = mulberry32(1);
    const noisy = fitCircleRadius(
      xs.map((x) => x + 1e-4 * gaussian(random)),
      ys.map((y) => y + 1e-4 * gaussian(random)),
      identity,
    );
    expect(Math.abs(noisy - radius)).toBeLessThan(0.05);
  });

  it("correlates hits outside a scatterer", () => {
    const v = pointCovariance([0.1, 0.2, 0.3], [1e-3, 1e-3, 1e-3], 1e-5, 2e-5);
    expect(v[0]).toEqual([4, 0, 0, 0]);
    expect(v[1]![1]).toBe(1);
    // Hit 2 (r = 0.2) moves by 0.1 × kick 1: (0.1 × 1e-3 / 1e-5)² = 100 in units of the hit resolution squared.
    expect(v[2]![2]).toBeCloseTo(101, 9);
    expect(v[2]![3]).toBeCloseTo(200, 9);
    expect(v[3]![2]).toBe(v[2]![3]);
  });

  it("estimates σ from the central 68 % and ignores tails", () => {
    const random = mulberry32(2);
    const values = Array.from({ length: 20000 }, () => 2 * gaussian(random));
    expect(centralSigma(values)).toBeCloseTo(2, 1);
    const withOutliers = [...values, ...new Array<number>(200).fill(1e6)];
    expect(centralSigma(withOutliers)).toBeCloseTo(2, 1);
    expect(centralSigma([1])).toBe(Infinity);
  });

  it("rejects impossible designs with every reason", () => {
    expect(() => checkDesign({ ...BASE, layers: 2.5, innerRadius: 0.6, halfLength: -1 })).toThrow(/layers.*radii.*halfLength/);
    expect(() => checkDesign({ ...BASE, thickness: 0 })).toThrow(/thickness/);
    expect(() => checkDesign(BASE)).not.toThrow();
  });
});
