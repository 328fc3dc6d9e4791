// Who is signed in (auth.me) and the figures every page shows: the period's AI operations.
import { trpc, type Me } from "./api";

type Listener = (me: Me) => void;

export const session: { me: Me | null; localModel: string | null } = { me: null, localModel: null };
const listeners = new Set<Listener>();

export function onUsage(listener: Listener): void {
  listeners.add(listener);
}

/** Reads auth.me again (after each AI action) and tells whoever shows the usage figure. */
export async function refreshMe(): Promise<Me> {
  const me = await trpc.auth.me.query();
  session.me = me;
  for (const listener of listeners) listener(me);
  return me;
}

export function role(): "admin" | "agent" | "viewer" {
  return session.me?.user?.role ?? "viewer";
}

export const isAdmin = (): boolean => role() === "admin";
export const canWrite = (): boolean => role() !== "viewer";

/** The plan's AI level: none (free), basic (pro) or full (business). */
export function aiFeatures(): "none" | "basic" | "full" {
  return session.me?.plan.aiFeatures ?? "none";
}

export function hasFeature(feature: "basic" | "full"): boolean {
  const rank = { none: 0, basic: 1, full: 2 } as const;
  return rank[aiFeatures()] >= rank[feature];
}

export function usageLine(me: Me): string {
  return me.usage.limit === null
    ? `${me.usage.used} AI operations this period (unlimited)`
    : `${me.usage.used} of ${me.usage.limit} AI operations this period`;
}
