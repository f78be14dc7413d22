// Output for people (lines) or automation (--json): one place decides which.
export interface Output {
  json: boolean;
  line(text: string): void;
  result(value: unknown, human: () => string): void;
}

export function output(json: boolean): Output {
  return {
    json,
    line: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    result: (value, human) => {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
  };
}
