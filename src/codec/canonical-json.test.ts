import { describe, expect, it } from "vitest";
import { pythonJsonDumps } from "./canonical-json.js";
import type { JsonValue } from "./tagged-json.js";

// [JSON input as JS parses it, what Python's json.dumps(value, sort_keys=True) printed for it].
// Generated with python3, parsing integer-valued numbers as ints as this module does.
const PYTHON_TABLE: [string, string][] = [
  ["0.1", "0.1"],
  ["-0.1", "-0.1"],
  ["0.5", "0.5"],
  ["1e-5", "1e-05"],
  ["0.0001", "0.0001"],
  ["0.00012345", "0.00012345"],
  ["1.5e-7", "1.5e-07"],
  ["-1.5e-7", "-1.5e-07"],
  ["123456789.123", "123456789.123"],
  ["2.5e-300", "2.5e-300"],
  ["5e-324", "5e-324"],
  ["-5e-324", "-5e-324"],
  ["2.2250738585072014e-308", "2.2250738585072014e-308"],
  ["1.7976931348623157e308", "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"],
  ["1e16", "10000000000000000"],
  ["1e21", "1000000000000000000000"],
  ["-1e21", "-1000000000000000000000"],
  ["9007199254740993", "9007199254740992"],
  ["1234567890123456.7", "1234567890123456.8"],
  ["123456789012345.67", "123456789012345.67"],
  ["3.141592653589793", "3.141592653589793"],
  ["1.0000000000000002", "1.0000000000000002"],
  ["0.30000000000000004", "0.30000000000000004"],
  ["100.25", "100.25"],
  ["-123.456", "-123.456"],
  ["1e-4", "0.0001"],
  ["9.999999999999999e-5", "9.999999999999999e-05"],
  ["0", "0"],
  ["-7", "-7"],
  ["true", "true"],
  ["false", "false"],
  ["null", "null"],
  ["\"\"", "\"\""],
  ["\"hello\"", "\"hello\""],
  ["\"quote \\\" backslash \\\\ slash /\"", "\"quote \\\" backslash \\\\ slash /\""],
  ["\"\\n\\r\\t\\b\\f\\u0000\\u0001\\u001f\\u007f\\u0080\"", "\"\\n\\r\\t\\b\\f\\u0000\\u0001\\u001f\\u007f\\u0080\""],
  ["\"caf\\u00e9 na\\u00efve \\u4e2d\\u6587\"", "\"caf\\u00e9 na\\u00efve \\u4e2d\\u6587\""],
  ["\"emoji \\ud83d\\ude00 and \\ud83c\\udf89\"", "\"emoji \\ud83d\\ude00 and \\ud83c\\udf89\""],
  ["\"lone \\ud800 surrogate\"", "\"lone \\ud800 surrogate\""],
  ["\"tilde ~ space  del\\u007f\"", "\"tilde ~ space  del\\u007f\""],
  ["[]", "[]"],
  ["{}", "{}"],
  ["[1, 2.5, \"x\", null, true, [], {}]", "[1, 2.5, \"x\", null, true, [], {}]"],
  ["{\"b\": 1, \"a\": [1, {\"d\": 4, \"c\": 3}], \"A\": null, \"_\": 0}", "{\"A\": null, \"_\": 0, \"a\": [1, {\"c\": 3, \"d\": 4}], \"b\": 1}"],
  ["{\"z\": 1, \"\\u00e9\": 2, \"e\": 3, \"E\": 4, \"\\u4e2d\": 5, \"\\ud83d\\ude00\": 6, \"\\uffff\": 7, \"\\ue000\": 8, \"\": 9}", "{\"\": 9, \"E\": 4, \"e\": 3, \"z\": 1, \"\\u00e9\": 2, \"\\u4e2d\": 5, \"\\ue000\": 8, \"\\uffff\": 7, \"\\ud83d\\ude00\": 6}"],
  ["{\"name\": 1, \"name1\": 2}", "{\"name\": 1, \"name1\": 2}"],
  ["{\"nested\": {\"list\": [0.1, 1e-7, {\"k\": \"v\\u00e9\"}], \"n\": -0.5}, \"$date\": \"2024-01-01T00:00:00.000Z\"}", "{\"$date\": \"2024-01-01T00:00:00.000Z\", \"nested\": {\"list\": [0.1, 1e-07, {\"k\": \"v\\u00e9\"}], \"n\": -0.5}}"],
  ["[[[]], [{}], {\"a\": {}}]", "[[[]], [{}], {\"a\": {}}]"],
];

describe("pythonJsonDumps", () => {
  it.each(PYTHON_TABLE)("prints %s as Python does", (input, expected) => {
    expect(pythonJsonDumps(JSON.parse(input) as JsonValue)).toBe(expected);
  });

  it("prints integer-valued numbers as Python ints, exactly", () => {
    expect(pythonJsonDumps(1e21)).toBe("1000000000000000000000");
    expect(pythonJsonDumps(2 ** 64)).toBe("18446744073709551616");
    expect(pythonJsonDumps(-0)).toBe("0");
    expect(pythonJsonDumps(1.0)).toBe("1");
  });

  it("sorts keys by code point, not UTF-16 code unit", () => {
    // "\uffff" sorts before the astral "😀" in Python, though its code unit is larger than a surrogate.
    expect(pythonJsonDumps({ "😀": 1, "\uffff": 2 })).toBe('{"\\uffff": 2, "\\ud83d\\ude00": 1}');
  });

  it("refuses non-finite numbers and non-JSON values", () => {
    expect(() => pythonJsonDumps(NaN)).toThrow(/not a finite number/);
    expect(() => pythonJsonDumps(Infinity)).toThrow(/not a finite number/);
    expect(() => pythonJsonDumps(undefined as unknown as JsonValue)).toThrow(/not a JSON value/);
  });
});
