-- WeChat Pay merchant keys, one per bound appid. WeChat Pay signs JSAPI / mini-program payment
-- parameters (paySign) with the merchant's API key; the sandbox generates a stand-in RSA key per
-- appid and keeps it here, so every node of a deployment signs with the same key.
CREATE TABLE wechat_merchant_keys (
    appid TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
