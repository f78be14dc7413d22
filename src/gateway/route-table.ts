// Routes live in memory for the hot path and in a JSON file so a restarted gateway comes back with
// the same weights. Writes go to a temp file and are renamed over the old one: a crash mid-write
// leaves the previous routes intact.
import { existsSync, readFileSync } from 'node:fs';
import { replaceJsonFile } from '../json-file';
import { routeConfigSchema, type RouteConfig } from './route-config';

export class RouteTable {
  private readonly routes = new Map<string, RouteConfig>();

  constructor(private readonly file: string | undefined) {
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const [name, raw] of Object.entries(saved)) this.routes.set(name, routeConfigSchema.parse(raw));
    }
  }

  get(name: string): RouteConfig | undefined {
    return this.routes.get(name);
  }

  names(): string[] {
    return [...this.routes.keys()];
  }

  all(): Record<string, RouteConfig> {
    return Object.fromEntries(this.routes);
  }

  set(name: string, config: RouteConfig): void {
    this.routes.set(name, config);
    this.persist();
  }

  delete(name: string): boolean {
    const existed = this.routes.delete(name);
    if (existed) this.persist();
    return existed;
  }

  private persist(): void {
    // Routes hold upstream API keys: readable by the owner only.
    if (this.file) replaceJsonFile(this.file, this.all(), { ownerOnly: true });
  }
}
