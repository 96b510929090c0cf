import { h } from 'preact';
import htm from 'htm';

/** Tagged templates for Preact: components as plain functions, no JSX build. */
export const html = htm.bind(h);
