# Experiments configured with Facebook Hydra
!pip install -q hydra-core omegaconf hydra-optuna-sweeper
import hydra
from omegaconf import DictConfig, OmegaConf


@hydra.main(config_path="conf", config_name="config", version_base=None)
def train(cfg: DictConfig) -> float:
    print(OmegaConf.to_yaml(cfg))
    return cfg.lr * cfg.epochs


!HYDRA_FULL_ERROR=1 python train.py -m lr=1e-4,3e-4 epochs=5 hydra.sweep.dir=/content/multirun
!python train.py hydra/launcher=joblib hydra.run.dir=/content/outputs/run1
