/** One instruction of a Dockerfile, its continuation lines joined. */
export interface DockerInstruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface DockerStage {
  /** The image or earlier stage this stage starts from. */
  base: string;
  /** The name after AS, if any. */
  name: string | undefined;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM. */
  globalArgs: DockerInstruction[];
  stages: DockerStage[];
  /** Comment lines, without the leading `#`. */
  comments: string[];
}

/**
 * Parses a Dockerfile into stages and instructions: enough to check its structure (the default
 * escape character, no heredocs). Throws on an instruction before the first FROM other than ARG.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const parsed: ParsedDockerfile = { globalArgs: [], stages: [], comments: [] };
  const lines = text.split(/\r?\n/);
  let pending: { text: string; line: number } | undefined;

  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) {
      parsed.comments.push(trimmed.slice(1).trim());
      return;
    }
    if (trimmed === '' && pending === undefined) return;
    const continues = trimmed.endsWith('\\');
    const content = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending === undefined ? { text: content, line: index + 1 } : { ...pending, text: `${pending.text} ${content}`.trim() };
    if (!continues) {
      addInstruction(parsed, pending.text, pending.line);
      pending = undefined;
    }
  });
  if (pending !== undefined) addInstruction(parsed, pending.text, pending.line);
  return parsed;
}

function addInstruction(parsed: ParsedDockerfile, text: string, line: number): void {
  const match = /^(\S+)\s*(.*)$/s.exec(text);
  if (match === null) return;
  const instruction: DockerInstruction = { keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line };
  if (instruction.keyword === 'FROM') {
    const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
    const asIndex = words.findIndex((word) => word.toUpperCase() === 'AS');
    parsed.stages.push({
      base: words[0] ?? '',
      name: asIndex >= 0 ? words[asIndex + 1] : undefined,
      instructions: [instruction],
    });
    return;
  }
  const stage = parsed.stages.at(-1);
  if (stage !== undefined) {
    stage.instructions.push(instruction);
  } else if (instruction.keyword === 'ARG') {
    parsed.globalArgs.push(instruction);
  } else {
    throw new Error(`line ${line}: ${instruction.keyword} before the first FROM`);
  }
}

/**
 * What is wrong with a service image's Dockerfile, as readable sentences (empty = nothing):
 * it must be multi-stage, pin every base image (no `latest`, no untagged image), never ADD from a
 * URL, and its final stage must run as a non-root numeric user, with an exec-form CMD, and say
 * how health is checked (a HEALTHCHECK, or a comment pointing at the Kubernetes probes).
 */
export function findDockerfileProblems(dockerfile: ParsedDockerfile): string[] {
  const problems: string[] = [];
  const { stages } = dockerfile;
  if (stages.length < 2) problems.push(`expected a multi-stage build, found ${stages.length} stage(s)`);

  const stageNames = new Set<string>();
  for (const stage of stages) {
    problems.push(...findBaseImageProblems(stage, stageNames));
    if (stage.name !== undefined) stageNames.add(stage.name.toLowerCase());
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'ADD' && /(^|\s)(https?|git|ssh):\/\//i.test(instruction.args)) {
        problems.push(`line ${instruction.line}: ADD from a URL; download in a RUN with a checksum instead`);
      }
    }
  }

  const final = stages.at(-1);
  if (final === undefined) return problems;
  const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1);
  const userId = user?.args.split(':')[0]?.trim() ?? '';
  if (user === undefined) {
    problems.push('the final stage has no USER: it would run as root');
  } else if (!/^\d+$/.test(userId) || Number(userId) === 0) {
    problems.push(`line ${user.line}: USER ${user.args} must be a numeric non-root id (runAsNonRoot can only verify numbers)`);
  }

  const cmd = final.instructions.filter((i) => i.keyword === 'CMD').at(-1);
  if (cmd === undefined) {
    problems.push('the final stage has no CMD');
  } else if (!isExecForm(cmd.args)) {
    problems.push(`line ${cmd.line}: CMD must be in exec form (a JSON array), so node is PID 1 and gets SIGTERM`);
  }

  const hasHealthcheck = final.instructions.some((i) => i.keyword === 'HEALTHCHECK');
  if (!hasHealthcheck && !dockerfile.comments.some((comment) => /probe/i.test(comment))) {
    problems.push('no HEALTHCHECK and no comment saying which probes check health');
  }
  return problems;
}

function findBaseImageProblems(stage: DockerStage, earlierStages: ReadonlySet<string>): string[] {
  const base = stage.base;
  const where = `line ${stage.instructions[0]?.line ?? 0}`;
  if (earlierStages.has(base.toLowerCase()) || base === 'scratch') return [];
  if (base.includes('$')) return [`${where}: FROM ${base} uses a variable; name the image and its tag`];
  if (base.includes('@sha256:')) return [];
  const lastSegment = base.split('/').at(-1) ?? base;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').at(-1) : undefined;
  if (tag === undefined) return [`${where}: FROM ${base} has no tag (that means latest)`];
  if (tag === 'latest') return [`${where}: FROM ${base} uses the latest tag`];
  return [];
}

function isExecForm(args: string): boolean {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
  } catch {
    return false;
  }
}

/**
 * The Node versions the file's `FROM node:<version>-<variant>` stages name, each once, in order
 * (`node:24.22.3-bookworm-slim` → `24.22.3`). Stages built on earlier stages or other images add
 * nothing; a `node` tag that is not a full version (`node:24-slim`) is reported as it is.
 */
export function nodeImageVersions(dockerfile: ParsedDockerfile): string[] {
  const versions = dockerfile.stages
    .map((stage) => /^(?:docker\.io\/)?(?:library\/)?node:([^@]+)/.exec(stage.base)?.[1])
    .filter((tag): tag is string => tag !== undefined)
    .map((tag) => /^\d+\.\d+\.\d+(?=-|$)/.exec(tag)?.[0] ?? tag);
  return [...new Set(versions)];
}
