// A real Vendure server for stationmaster's connector tests, on sql.js, bound to 127.0.0.1.
//
//   node server.js [PORT]        (or VENDURE_PORT=PORT node server.js)
//
// Prints "vendure ready http://127.0.0.1:PORT" once both GraphQL APIs answer. Stops on SIGTERM
// or SIGINT, and by itself when its standard input closes (the test process that started it
// went away). The populated database is cached in ./data (keyed by a digest of this script and
// products.csv), so only the first start imports the products; every start begins from that
// same state, since sql.js keeps the session's writes in memory.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');

// Vendure reports usage to its makers unless told not to; tests talk to nothing outside.
process.env.VENDURE_DISABLE_TELEMETRY = 'true';

// TestServer listens on every interface; tests must only ever bind the loopback address.
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
    if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
        args.splice(1, 0, '127.0.0.1');
    }
    return originalListen.apply(this, args);
};

const { LanguageCode, PaymentMethodHandler, TransactionalConnection, mergeConfig } = require('@vendure/core');
const { SqljsInitializer, TestServer, registerInitializer, testConfig } = require('@vendure/testing');

const port = Number(process.argv[2] || process.env.VENDURE_PORT || 3050);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`invalid port ${process.argv[2] || process.env.VENDURE_PORT}`);
    process.exit(2);
}
const here = __dirname;
const productsCsv = path.join(here, 'products.csv');

// Payments settle at once, so a placed order lands in PaymentSettled like a card payment.
const testPayment = new PaymentMethodHandler({
    code: 'test-payment',
    description: [{ languageCode: LanguageCode.en, value: 'Test payment (settles at once)' }],
    args: {},
    createPayment: (ctx, order, amount) => ({
        amount,
        state: 'Settled',
        transactionId: `tx-${order.code}`,
    }),
    settlePayment: () => ({ success: true }),
});

const config = mergeConfig(testConfig, {
    paymentOptions: { paymentMethodHandlers: [testPayment] },
    // Where the connector keeps the idempotency keys of stock adjustments (stock_keys_field).
    customFields: { ProductVariant: [{ name: 'stationmasterStockKeys', type: 'text', nullable: true }] },
    apiOptions: { port, middleware: [{ route: '/test-control', handler: control, beforeListen: true }] },
});

const countries = [
    ['United States', 'US'], ['Canada', 'CA'], ['United Kingdom', 'GB'], ['Germany', 'DE'],
    ['France', 'FR'], ['Japan', 'JP'], ['Australia', 'AU'], ['Ireland', 'IE'],
];
const initialData = {
    defaultLanguage: LanguageCode.en,
    defaultZone: 'World',
    taxRates: [{ name: 'Standard', percentage: 10 }],
    shippingMethods: [{ name: 'UPS Ground', price: 500 }],
    paymentMethods: [{ name: 'Test Payment', handler: { code: 'test-payment', arguments: [] } }],
    countries: countries.map(([name, code]) => ({ name, code, zone: 'World' })),
    collections: [],
};

// The cache file changes name whenever what it is built from changes; older ones are removed.
class CachedSqljsInitializer extends SqljsInitializer {
    getDbFilePath() {
        const digest = crypto.createHash('sha256');
        digest.update(fs.readFileSync(__filename));
        digest.update(fs.readFileSync(productsCsv));
        return path.join(this.dataDir, `vendure-${digest.digest('hex').slice(0, 16)}.sqlite`);
    }

    async populate(populateFn) {
        if (fs.existsSync(this.dataDir) && !fs.existsSync(this.dbFilePath)) {
            for (const name of fs.readdirSync(this.dataDir)) {
                if (/^vendure-[0-9a-f]{16}\.sqlite$/.test(name)) {
                    fs.rmSync(path.join(this.dataDir, name));
                }
            }
        }
        return super.populate(populateFn);
    }
}
registerInitializer('sqljs', new CachedSqljsInitializer(path.join(here, 'data')));

// Test-only control routes, reachable on the loopback address only. Each spoils one order
// straight in the database, the way a faulty plugin or a hand edit would.
const spoilers = {
    // Its first line gets a negative price, which no real order line has.
    'negative-price': 'UPDATE order_line SET listPrice = -100 WHERE id = (SELECT MIN(id) FROM order_line WHERE orderId = ?)',
    // Its first line points at a product variant that does not exist, which breaks the
    // resolver of that line (and so the whole order list it is in).
    'missing-variant': 'UPDATE order_line SET productVariantId = 999999 WHERE id = (SELECT MIN(id) FROM order_line WHERE orderId = ?)',
};

let running = null; // the Nest application, once bootstrapped

// Express middleware mounted on /test-control: POST /test-control/spoil/<how>/<order id>.
async function control(req, res) {
    const match = /^\/spoil\/([a-z-]+)\/(?:T_)?(\d+)$/.exec(req.url);
    const sql = match && spoilers[match[1]];
    if (req.method !== 'POST' || !sql || !running) {
        res.status(404).json({ ok: false, error: 'unknown control request' });
        return;
    }
    const raw = running.get(TransactionalConnection).rawConnection;
    try {
        await raw.query('PRAGMA foreign_keys = OFF');
        await raw.query(sql, [Number(match[2])]);
        await raw.query('PRAGMA foreign_keys = ON');
        res.json({ ok: true });
    } catch (e) {
        res.status(500).json({ ok: false, error: String(e) });
    }
}

async function main() {
    const server = new TestServer(config);
    let stopping = false;
    const stop = async code => {
        if (stopping) return;
        stopping = true;
        try {
            await server.destroy();
        } finally {
            process.exit(code);
        }
    };
    process.on('SIGTERM', () => stop(0));
    process.on('SIGINT', () => stop(0));
    process.stdin.on('end', () => stop(0));
    process.stdin.on('error', () => stop(0));
    process.stdin.resume();

    await server.init({ initialData, productsCsvPath: productsCsv, customerCount: 1 });
    running = server.app;
    console.log(`vendure ready http://127.0.0.1:${port}`);
}

main().catch(error => {
    console.error(error);
    process.exit(1);
});
