// Re-exports the v10 client from this workspace's own node_modules (@trpc/client@10.45.4
// with its peer @trpc/server@10.45.4), so ../scenarios.mjs can load it next to v11.
export { createTRPCProxyClient, httpLink, httpBatchLink, TRPCClientError } from '@trpc/client';
