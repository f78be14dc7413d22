// The gateway's admin API for a CLI command: the stack's URL and admin token, or a one-line error.
import { GantryError } from '../errors';
import { GatewayAdminClient } from '../gateway/admin-client';
import { adminToken, gatewayUrl, stackConfigFromEnv } from '../stack/stack-config';

export function adminTokenOrFail(): string {
  const token = adminToken(stackConfigFromEnv());
  if (!token) throw new GantryError('GATEWAY_UNAVAILABLE', 'no admin token: start the stack with `gantry dev up`, or set GANTRY_ADMIN_TOKEN');
  return token;
}

export function adminGateway(): GatewayAdminClient {
  return new GatewayAdminClient(gatewayUrl(stackConfigFromEnv()), adminTokenOrFail());
}
