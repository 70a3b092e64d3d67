// Standard test functions of global optimisation, with their known minima, for measuring the samplers.
import type { SpaceDefinition } from "./space.js";

export interface TestFunction {
  name: string;
  space: SpaceDefinition;
  evaluate: (params: Record<string, unknown>) => number;
  /** The global minimum's value. */
  minimum: number;
}

const coords = (params: Record<string, unknown>, n: number): number[] => Array.from({ length: n }, (_, i) => params[`x${i + 1}`] as number);
const box = (n: number, low: number, high: number): SpaceDefinition =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i + 1}`, { kind: "float", low, high }]));

/** Branin on [-5, 10] × [0, 15]: three global minima of value 5/(4π). */
export const branin: TestFunction = {
  name: "Branin",
  space: { x1: { kind: "float", low: -5, high: 10 }, x2: { kind: "float", low: 0, high: 15 } },
  evaluate(params) {
    const [x1, x2] = coords(params, 2) as [number, number];
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
  },
  minimum: 5 / (4 * Math.PI),
};

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]⁶: minimum -3.32237. */
export const hartmann6: TestFunction = {
  name: "Hartmann-6",
  space: box(6, 0, 1),
  evaluate(params) {
    const x = coords(params, 6);
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (x[j]! - H6_P[i]![j]!) ** 2;
      sum += H6_ALPHA[i]! * Math.exp(-inner);
    }
    return -sum;
  },
  minimum: -3.32237,
};

/** Rosenbrock in five dimensions on [-5, 10]⁵: minimum 0 at (1, …, 1). */
export const rosenbrock5: TestFunction = {
  name: "Rosenbrock-5",
  space: box(5, -5, 10),
  evaluate(params) {
    const x = coords(params, 5);
    let sum = 0;
    for (let i = 0; i < 4; i++) sum += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
    return sum;
  },
  minimum: 0,
};

export const TEST_FUNCTIONS: readonly TestFunction[] = [branin, hartmann6, rosenbrock5];
