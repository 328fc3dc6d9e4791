// The models a person may pick: the deployment's allow-list, which org.get carries for admins
// (the only ones who pick a model: settings and the playground). Others see the server's engine
// model (system.status), so a read-only view still names what runs.
import { trpc } from "./api";
import { isAdmin } from "./session";

export async function allowedModels(): Promise<string[]> {
  if (isAdmin()) return (await trpc.org.get.query()).allowedModels;
  const status = await trpc.system.status.query();
  return status.ai.model && status.ai.model !== "none" ? [status.ai.model] : [];
}
