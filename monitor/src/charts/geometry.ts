// The frame every chart draws in: a fixed coordinate space that the SVG scales to the page's width.

export const WIDTH = 960;
export const MARGIN = { left: 56, right: 16, top: 12, bottom: 28 };

export const plotRight = WIDTH - MARGIN.right;
