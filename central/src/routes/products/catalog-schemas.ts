import { Type } from '@fastify/type-provider-typebox';
import { PriceSchema, SkuSchema } from '@stocksync/shared';
import { catalogProductMessage } from '../../catalog/catalog-publisher';
import type { ProductFields, ProductRow } from '../../db/products-repository';
import { Cursor, DateTime, Limit, SkuParam } from '../common-schemas';

const Editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000, default: '' })),
  category: Type.Optional(Type.String({ maxLength: 64, default: '' })),
  price: { ...PriceSchema, description: 'exact decimal string, up to 4 decimals, e.g. "12.50"' },
  defaultMinStock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  active: Type.Optional(Type.Boolean({ default: true })),
};

export const CreateProductBody = Type.Object(
  { sku: SkuSchema, ...Editable },
  {
    additionalProperties: false,
    examples: [
      {
        sku: 'GRO-001',
        name: 'Olive oil (500 ml)',
        description: 'Extra virgin, cold pressed',
        category: 'grocery',
        price: '8.49',
        defaultMinStock: 6,
      },
    ],
  },
);
/** PUT replaces the product: omitted optional fields take their defaults, as on create. */
export const ReplaceProductBody = Type.Object(Editable, {
  additionalProperties: false,
  examples: [{ name: 'Olive oil (500 ml)', category: 'grocery', price: '8.99', defaultMinStock: 6, active: true }],
});
export const SkuParams = Type.Object({ sku: SkuParam }, { additionalProperties: false });

export const ProductListQuery = Type.Object(
  {
    category: Type.Optional(Type.String({ maxLength: 64 })),
    minPrice: Type.Optional(PriceSchema),
    maxPrice: Type.Optional(PriceSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'text in sku, name or description' })),
    active: Type.Optional(Type.Boolean()),
    limit: Limit(1000, 100),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ProductSchema = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  price: Type.String({ description: 'exact decimal, at least two decimals' }),
  defaultMinStock: Type.Integer(),
  active: Type.Boolean(),
  /** +1 per change. */
  version: Type.Integer(),
  /** This version is in the catalog bucket the stores follow (false: the publisher will retry). */
  published: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

type EditableInput = {
  name: string;
  description?: string | undefined;
  category?: string | undefined;
  price: string;
  defaultMinStock?: number | undefined;
  active?: boolean | undefined;
};

export function productFields(body: EditableInput): ProductFields {
  return {
    name: body.name,
    description: body.description ?? '',
    category: body.category ?? '',
    price: body.price,
    defaultMinStock: body.defaultMinStock ?? 0,
    active: body.active ?? true,
  };
}

/** The catalog entry the stores receive, plus HQ's bookkeeping (version, published, createdAt). */
export function productView(row: ProductRow) {
  return {
    ...catalogProductMessage(row),
    version: row.version,
    published: row.publishedVersion >= row.version,
    createdAt: row.createdAt.toISOString(),
  };
}
