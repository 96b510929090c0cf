/**
 * What resolvers return for each GraphQL object type (codegen `mappers`):
 * domain objects and port results, never hand-written copies of the schema.
 */
import type { Complaint, EnrichedRating } from '../domain/index.js';
import type { Edge, Page } from '../ports/search.js';

export type RatingPageEdge = Edge<EnrichedRating>;
export type RatingPage = Page<EnrichedRating>;
export type ComplaintPageEdge = Edge<Complaint>;
export type ComplaintPage = Page<Complaint>;
