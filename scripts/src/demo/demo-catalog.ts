/** A deterministic, realistic catalog for the demo and `npm run seed` (exact decimal prices). */

export type CatalogProduct = {
  sku: string;
  name: string;
  description: string;
  category: string;
  price: string;
  defaultMinStock: number;
};

type Category = {
  code: string;
  name: string;
  items: readonly string[];
  variants: readonly string[];
  basePrice: number;
};

const CATEGORIES: readonly Category[] = [
  {
    code: 'GRO',
    name: 'grocery',
    items: ['Olive oil', 'Basmati rice', 'Espresso beans', 'Dark chocolate', 'Penne pasta', 'Honey', 'Green tea'],
    variants: ['250 g', '500 g', '1 kg', 'organic', 'family pack'],
    basePrice: 249,
  },
  {
    code: 'HOM',
    name: 'home',
    items: ['Desk lamp', 'Linen towel', 'Scented candle', 'Storage box', 'Coffee mug', 'Throw pillow', 'Wall clock'],
    variants: ['white', 'black', 'oak', 'grey', 'large'],
    basePrice: 899,
  },
  {
    code: 'ELE',
    name: 'electronics',
    items: ['USB-C cable', 'Power bank', 'Wireless mouse', 'Earbuds', 'Phone stand', 'LED bulb', 'HDMI adapter'],
    variants: ['1 m', '2 m', 'pro', 'mini', 'twin pack'],
    basePrice: 1299,
  },
  {
    code: 'APP',
    name: 'apparel',
    items: ['Cotton T-shirt', 'Wool socks', 'Rain jacket', 'Denim jeans', 'Beanie', 'Running shorts', 'Scarf'],
    variants: ['S', 'M', 'L', 'XL', 'navy'],
    basePrice: 1499,
  },
  {
    code: 'TOY',
    name: 'toys',
    items: ['Puzzle 500 pcs', 'Wooden blocks', 'Card game', 'Plush bear', 'Kite', 'Marble run', 'Yo-yo'],
    variants: ['classic', 'deluxe', 'travel', 'junior', 'set of 3'],
    basePrice: 699,
  },
  {
    code: 'GAR',
    name: 'garden',
    items: ['Seed mix', 'Pruning shears', 'Watering can', 'Plant pot', 'Garden gloves', 'Bird feeder', 'Compost'],
    variants: ['small', 'medium', 'large', 'terracotta', 'eco'],
    basePrice: 549,
  },
  {
    code: 'BTY',
    name: 'beauty',
    items: ['Hand cream', 'Shampoo', 'Lip balm', 'Face mask', 'Body lotion', 'Bath salts', 'Hair brush'],
    variants: ['50 ml', '200 ml', 'unscented', 'lavender', 'travel size'],
    basePrice: 399,
  },
  {
    code: 'STA',
    name: 'stationery',
    items: ['Notebook A5', 'Gel pen', 'Sticky notes', 'Fountain pen', 'Sketchbook', 'Highlighter', 'Planner'],
    variants: ['dotted', 'lined', 'blue', 'pack of 5', 'recycled'],
    basePrice: 299,
  },
];

/** Cents as an exact decimal string: 1299 → "12.99" (no binary floats anywhere). */
export function centsToPrice(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = String(cents % 100).padStart(2, '0');
  return `${whole}.${rest}`;
}

/** 8 categories × 7 items × 5 variants = 280 products, the same on every run. */
export function demoCatalog(): CatalogProduct[] {
  const products: CatalogProduct[] = [];
  for (const category of CATEGORIES) {
    category.items.forEach((item, i) => {
      category.variants.forEach((variant, v) => {
        const n = i * category.variants.length + v + 1;
        // Prices end in .49/.99/.95 like shelf prices; spread by item and variant.
        const cents = category.basePrice + i * 150 + v * 75;
        const ending = [49, 99, 95][(i + v) % 3] ?? 99;
        products.push({
          sku: `${category.code}-${String(n).padStart(3, '0')}`,
          name: `${item} (${variant})`,
          description: `${item}, ${variant}`,
          category: category.name,
          price: centsToPrice(cents - (cents % 100) + ending),
          defaultMinStock: 3 + ((i + v) % 4),
        });
      });
    });
  }
  return products;
}

/** Opening stock per store and SKU: varied, some SKUs deliberately thin so low-stock alerts appear. */
export function openingStock(storeIndex: number, skuIndex: number): number {
  const h = (skuIndex * 2654435761 + storeIndex * 40503) >>> 0;
  if (h % 11 === 0) return 4 + (h % 3);
  return 12 + (h % 37);
}
