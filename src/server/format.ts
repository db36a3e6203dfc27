/** Number formats shared by the page and its tests (a test compares what it reads with the database). */
export const formatPercent = (x: number) => `${(x * 100).toFixed(1)}%`;
export const formatDecimal = (x: number, digits = 3) => x.toFixed(digits);
export const formatCount = (n: number) => n.toLocaleString('en-US');
