/** Preact + htm bound once: `html` templates build elements (text is always text, never HTML). */
import { h, render, Fragment } from '../vendor/preact/preact.module.js';
import { useState, useEffect, useRef, useMemo, useCallback } from '../vendor/preact/hooks.module.js';
import htm from '../vendor/htm/htm.module.js';

export const html = htm.bind(h);
export { h, render, Fragment, useState, useEffect, useRef, useMemo, useCallback };
