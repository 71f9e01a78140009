/**
 * A device's I–V law written as an expression (mathjs syntax) in the voltage `V` (volts) and named
 * parameters, compiled once and differentiated symbolically, so that the Newton solver
 * (`crossbar/nonlinear.ts`) gets the current and dI/dV of every device from the user's formula:
 *
 *   expressionLaw("c * V * exp(d * sqrt(abs(V)))", { c: 1e-5, d: 2 })
 *
 * A parameter is one number for every device or an array with one value per device (row-major).
 * Where the symbolic derivative is undefined at exactly V = 0 (|V| and √|V| are not differentiable
 * there), dI/dV at 0 is the mean of its values at ±`ZERO_VOLTAGE_PROBE_VOLT` — the limit for laws
 * that are smooth away from 0, such as Poole–Frenkel.
 */
import { derivative, parse, type EvalFunction, type MathNode } from "mathjs";
import type { DeviceCurrentLaw } from "./current-law";

/** The voltage at which dI/dV is probed on both sides of 0 when the derivative is undefined at 0 (V). */
export const ZERO_VOLTAGE_PROBE_VOLT = 1e-24;

/** Names an expression may use besides `V` and its parameters. */
const CONSTANTS = new Set(["pi", "e", "E", "PI"]);

export interface ExpressionLaw extends DeviceCurrentLaw {
  readonly expression: string;
  /** The symbolic dI/dV, as mathjs prints it. */
  readonly derivativeExpression: string;
  /**
   * ∂I/∂p of every device at voltages v (symbolic, compiled on first use) for parameter `name`: what
   * training a device parameter through the circuit needs (lib/tile CircuitTile.backward).
   */
  parameterSensitivity(name: string): (v: Float64Array, out: Float64Array) => void;
}

function symbolsOf(node: MathNode): string[] {
  const functions = new Set<MathNode>();
  node.traverse((n) => {
    if ((n as { type: string }).type === "FunctionNode") functions.add((n as unknown as { fn: MathNode }).fn);
  });
  const names = new Set<string>();
  node.traverse((n) => {
    if ((n as { type: string }).type === "SymbolNode" && !functions.has(n))
      names.add((n as unknown as { name: string }).name);
  });
  return [...names];
}

/** A current law for `devices` devices from `expression` in V and `parameters` (numbers or per-device arrays). */
export function expressionLaw(
  expression: string,
  parameters: Readonly<Record<string, number | ArrayLike<number>>>,
  devices: number,
): ExpressionLaw {
  const where = `device law "${expression}"`;
  if (typeof expression !== "string" || expression.trim() === "")
    throw new RangeError(`device law: the expression must be a non-empty string, got ${JSON.stringify(expression)}`);
  if (!Number.isInteger(devices) || devices < 1)
    throw new RangeError(`${where}: devices must be a positive integer, got ${devices}`);
  let node: MathNode;
  try {
    node = parse(expression);
  } catch (e) {
    throw new RangeError(`${where} does not parse: ${(e as Error).message}`, { cause: e });
  }
  if ("V" in parameters) throw new RangeError(`${where}: "V" is the device voltage, not a parameter`);
  const symbols = symbolsOf(node);
  const unknown = symbols.filter((s) => s !== "V" && !(s in parameters) && !CONSTANTS.has(s));
  if (unknown.length)
    throw new RangeError(
      `${where} uses ${unknown.map((s) => `"${s}"`).join(", ")}, which is neither the voltage V nor a parameter (given: ${Object.keys(parameters).join(", ") || "none"})`,
    );
  if (!symbols.includes("V")) throw new RangeError(`${where} does not depend on the voltage V`);
  const arrays: Array<[string, ArrayLike<number>]> = [];
  const scope: Record<string, number> = {};
  for (const [k, v] of Object.entries(parameters)) {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new RangeError(`${where}: parameter ${k} = ${v} is not a finite number`);
      scope[k] = v;
    } else {
      if (v.length !== devices)
        throw new RangeError(`${where}: parameter ${k} has ${v.length} values for ${devices} devices`);
      for (let i = 0; i < v.length; i++)
        if (!Number.isFinite(v[i]))
          throw new RangeError(`${where}: parameter ${k}[${i}] = ${v[i]} is not a finite number`);
      arrays.push([k, v]);
    }
  }
  let dNode: MathNode;
  try {
    dNode = derivative(node, "V");
  } catch (e) {
    throw new RangeError(`${where} cannot be differentiated symbolically in V: ${(e as Error).message}`, { cause: e });
  }
  const f: EvalFunction = node.compile(),
    df: EvalFunction = dNode.compile();
  const num = (x: unknown, what: string): number => {
    if (typeof x !== "number")
      throw new RangeError(
        `${where}: ${what} is ${typeof x === "object" ? "not a real number" : String(x)} (the expression must give a real number)`,
      );
    return x;
  };
  return {
    name: `expression: ${expression}`,
    expression,
    derivativeExpression: dNode.toString(),
    devices,
    parameterSensitivity(name) {
      if (!(name in parameters))
        throw new RangeError(`${where}: no parameter "${name}" (parameters: ${Object.keys(parameters).join(", ")})`);
      let dp: EvalFunction;
      try {
        dp = derivative(node, name).compile();
      } catch (e) {
        throw new RangeError(`${where} cannot be differentiated symbolically in ${name}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      return (v, out) => {
        for (let k = 0; k < v.length; k++) {
          for (const [pn, values] of arrays) scope[pn] = values[k];
          scope.V = v[k];
          out[k] = num(dp.evaluate(scope), `∂I/∂${name}(${v[k]} V) of device ${k}`);
        }
      };
    },
    evaluate(v, currentAmp, conductanceSiemens) {
      for (let k = 0; k < v.length; k++) {
        for (const [name, values] of arrays) scope[name] = values[k];
        scope.V = v[k];
        currentAmp[k] = num(f.evaluate(scope), `I(${v[k]} V) of device ${k}`);
        let g = num(df.evaluate(scope), `dI/dV(${v[k]} V) of device ${k}`);
        if (v[k] === 0 && !Number.isFinite(g)) {
          scope.V = ZERO_VOLTAGE_PROBE_VOLT;
          const up = num(df.evaluate(scope), `dI/dV of device ${k}`);
          scope.V = -ZERO_VOLTAGE_PROBE_VOLT;
          g = (up + num(df.evaluate(scope), `dI/dV of device ${k}`)) / 2;
        }
        conductanceSiemens[k] = g;
      }
    },
  };
}
