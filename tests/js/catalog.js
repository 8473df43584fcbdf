// A small catalogue in the shape of App.info().catalog, for the tests.
export const CATALOG = {
  settings: [
    { name: "hidden", kind: "int_list", label: "Hidden layers", default: [128], form: true, choices: null },
    { name: "optimizer", kind: "choice", label: "Optimiser", default: "adam", form: true, choices: [["sgd", "SGD"], ["adam", "Adam"]] },
    { name: "lr", kind: "float", label: "Learning rate", default: 0.001, form: true, choices: null },
    { name: "augment", kind: "bool", label: "Augmentation", default: false, form: true, choices: null },
    { name: "ema", kind: "float", label: "Weight averaging", default: 0, form: false, choices: null },
  ],
  recipes: [
    { name: "small", title: "Small", settings: { hidden: [10], optimizer: "sgd", lr: 0.1, augment: false, ema: 0 } },
    { name: "default", title: "Strong", settings: { hidden: [1024, 256], optimizer: "adam", lr: 0.002, augment: true, ema: 0.999 } },
  ],
  lessons: [],
  finetune: {},
  names: {},
};
