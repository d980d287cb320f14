from pydantic_settings import SettingsConfigDict

from servicekit.settings import DEFAULT_PORTS, ServiceSettings

# R-REG-16: names that may not be used (substring match, case-insensitive). Configurable per deployment.
DEFAULT_PROTECTED_NAMES = ("微信", "腾讯", "wechat", "weixin", "tencent", "公众平台")


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MPSANDBOX_REGISTRATION_", extra="ignore")

    port: int = DEFAULT_PORTS["registration"]
    # Base of the activation link in the e-mail: the gateway's public address.
    public_base_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['gateway']}"
    protected_names: tuple[str, ...] = DEFAULT_PROTECTED_NAMES
    # argon2id cost; tests lower these so the suite stays fast (RFC 9106 second recommendation by default).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    callback_ips: tuple[str, ...] = ("127.0.0.1",)
