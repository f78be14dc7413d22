// The series the gateway measures per route: the two variants, and mirrored answers (shadow).
export type StatsSeries = 'stable' | 'candidate' | 'shadow';
