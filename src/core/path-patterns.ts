// Path patterns in the syntax of .gitignore, for what a project archive leaves out. The subset: blank lines
// and `#` comments; `!` negates (re-includes); a trailing `/` matches directories only; a pattern with a `/`
// at its start or middle is relative to its base directory, one without matches a name at any depth; `*`,
// `?`, `[...]` (with `!` or `^` negating the class) and `**` (`**/x`, `x/**`, `a/**/b`); `\` escapes the
// next character. Not supported: trailing-space escapes and git's "a parent directory excluded cannot be
// re-included" subtlety (a re-included file inside an excluded directory stays out here too, since the
// directory is not walked).

/** One compiled pattern: where it applies from, what it matches, whether it re-includes. */
export interface PathRule {
  /** The directory it is relative to, `/`-separated, "" for the root. */
  base: string;
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
  /** The line it came from, to say which rule left a file out. */
  source: string;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** The regular expression of a glob without its leading or trailing slash. */
function globRegex(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "\\" && i + 1 < glob.length) {
      out += escapeRegex(glob[++i]!);
    } else if (c === "*" && glob[i + 1] === "*") {
      const atStart = i === 0 || glob[i - 1] === "/";
      const atEnd = i + 2 === glob.length || glob[i + 2] === "/";
      if (atStart && atEnd) {
        // "**/" matches any number of directories (none too); a final "**" matches everything below.
        if (i + 2 === glob.length) out += ".*";
        else {
          out += "(?:.*/)?";
          i++;
        }
      } else {
        out += "[^/]*";
      }
      i++;
    } else if (c === "*") {
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
      } else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!") || body.startsWith("^")) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

/** A rule of one pattern line relative to `base`, or undefined for a blank line or a comment. */
export function compileRule(line: string, base = ""): PathRule | undefined {
  let p = line.replace(/\r$/, "").replace(/(?<!\\)\s+$/, "");
  if (p === "" || p.startsWith("#")) return undefined;
  const negated = p.startsWith("!");
  if (negated) p = p.slice(1);
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.replace(/\/+$/, "");
  if (p === "") return undefined;
  const anchored = p.includes("/");
  p = p.replace(/^\/+/, "");
  const body = globRegex(p);
  return { base, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`), negated, dirOnly, source: line };
}

/** The rules of a pattern file's lines (a .gitignore) found in directory `base`. */
export function compileRules(lines: readonly string[], base = ""): PathRule[] {
  return lines.map((l) => compileRule(l, base)).filter((r): r is PathRule => r !== undefined);
}

/**
 * The rule that decides a path (relative to the root, `/`-separated): the last one that matches it, as in
 * .gitignore; undefined if none does. The path is left out if that rule is not negated.
 */
export function decidingRule(rules: readonly PathRule[], path: string, isDir: boolean): PathRule | undefined {
  let decided: PathRule | undefined;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.base !== "" && !path.startsWith(`${rule.base}/`)) continue;
    const rel = rule.base === "" ? path : path.slice(rule.base.length + 1);
    if (rule.regex.test(rel)) decided = rule;
  }
  return decided;
}

/** The path is left out by these rules. */
export function isExcluded(rules: readonly PathRule[], path: string, isDir: boolean): boolean {
  const rule = decidingRule(rules, path, isDir);
  return rule !== undefined && !rule.negated;
}
