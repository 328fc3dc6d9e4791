// The models a person may pick. No procedure lists an allowed set yet, so the choices are the
// server's default engine model (system.status) and, for admins, the organization's configured
// model and fallbacks (org.get): exactly the models this server can run for the organization.
import { trpc } from "./api";
import { isAdmin } from "./session";

export async function allowedModels(): Promise<string[]> {
  const [status, org] = await Promise.all([
    trpc.system.status.query(),
    isAdmin() ? trpc.org.get.query() : Promise.resolve(null),
  ]);
  const models = [status.ai.model];
  if (org) models.push(...(org.aiSettings.model ? [org.aiSettings.model] : []), ...org.aiSettings.fallbackModels);
  return [...new Set(models.filter((model) => model && model !== "none"))];
}
