import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type StockEvent, StockEventSchema } from './events';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => ISO_DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
}

/** A compiled runtime validator that throws with the first failing path. */
export function compileValidator<T extends TSchema>(schema: T) {
  const check = TypeCompiler.Compile(schema);
  return {
    check: (value: unknown): value is Static<T> => check.Check(value),
    parse(value: unknown): Static<T> {
      if (check.Check(value)) return value;
      const first = check.Errors(value).First();
      throw new Error(`invalid ${schema.$id ?? 'value'}: ${first ? `${first.path} ${first.message}` : 'unknown'}`);
    },
  };
}

export const stockEventValidator = compileValidator(StockEventSchema);
export const parseStockEvent = (value: unknown): StockEvent => stockEventValidator.parse(value);
