// htm bound to Preact: templates build virtual DOM nodes, so every interpolated value is text or
// an attribute value — never parsed as HTML (untrusted names, env values and log lines included).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
