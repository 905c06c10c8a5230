// `rotaterpctoken`: replace the WebSocket RPC's bearer token (src/rpc/token.ts). The old one is
// refused from then on and the WebSocket connections opened with it are closed once their
// answers are sent; the unix socket is unaffected (its file mode is its credential).
import type { RpcContext } from '../context.ts';
import { RpcToken, RpcTokenError } from '../token.ts';
import { defineMethod, RpcError } from '../types.ts';

export interface RotateTokenResult {
  /** Where the token is kept (mode 0600). */
  token_file: string;
  /** The new token (the caller is trusted: it could read the file). */
  token: string;
}

export const tokenMethods = {
  rotaterpctoken: defineMethod<{}, RotateTokenResult, RpcContext>({
    name: 'rotaterpctoken',
    params: {},
    description:
      'Replace the WebSocket JSON-RPC token (<datadir>/<network>/rpc-ws-token) with a new random one: the old token is refused from now on and WebSocket connections opened with it are closed.',
    handler: (_p, ctx) => {
      try {
        let t = ctx.rpcToken;
        if (!t) {
          if (!ctx.node.networkDir) throw new RpcError(-1, 'this node has no datadir, so no RPC token to rotate');
          t = new RpcToken(ctx.node.networkDir, ctx.node.random);
        }
        return { token_file: t.path, token: t.rotate() };
      } catch (e) {
        if (e instanceof RpcTokenError) throw new RpcError(-1, e.message);
        throw e;
      }
    },
  }),
};
