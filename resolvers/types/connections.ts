import type { Edge, Page } from '../../src/ports/search.js';
import type { ComplaintConnectionResolvers, PageInfo, RatingConnectionResolvers } from '../__generated__/types.js';

function pageInfo<T>(page: Page<T>): PageInfo {
  const edges: readonly Edge<T>[] = page.edges;
  return {
    hasNextPage: page.hasNextPage,
    hasPreviousPage: false,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges[edges.length - 1]?.cursor ?? null,
  };
}

export const RatingConnection: RatingConnectionResolvers = {
  pageInfo: (page) => pageInfo(page),
  nodes: (page) => page.edges.map((e) => e.node),
};

export const ComplaintConnection: ComplaintConnectionResolvers = {
  pageInfo: (page) => pageInfo(page),
  nodes: (page) => page.edges.map((e) => e.node),
};
