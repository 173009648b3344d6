/** Admin authentication: `Authorization: Bearer <ADMIN_KEY>` (or `x-admin-key`). */
import { AuthenticationError, SetupError } from "../errors.ts";
import { secretMatchesAny } from "../secrets.ts";

/** Throws unless the request carries an admin credential (constant-time comparison). */
export function requireAdmin(request: Request, adminKeys: readonly string[]): void {
  if (adminKeys.length === 0) throw new SetupError("The admin API is disabled until ADMIN_KEY is set.");
  const authorization = request.headers.get("authorization");
  const presented = (authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1] : null) ?? request.headers.get("x-admin-key");
  if (!presented || !secretMatchesAny(presented.trim(), adminKeys)) {
    throw new AuthenticationError("Admin credential required: send Authorization: Bearer <ADMIN_KEY>.");
  }
}
